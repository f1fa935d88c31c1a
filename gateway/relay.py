"""Relay an upstream chat stream to the caller, event by event, through an AnswerGuard.

The relay yields SSE bytes and never builds ASGI messages. It stops at the upstream's
`[DONE]` without sending it: the pipeline records the decision first, then ends the stream.
A failure (the upstream broke off, sent garbage, or the answer could not be scanned) ends
the relay early and is left in `failure` for the pipeline to record and report.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from gateway.answer import AnswerGuard
from gateway.pii.detector import DetectionFailed
from gateway.upstream.errors import UpstreamError, outcome_of
from gateway.upstream.sse import DONE, encode_event, iter_sse_data


@dataclass(frozen=True)
class RelayFailure:
    status_code: int
    error_code: str
    outcome: str  # how the upstream attempt ended, for the route record


class ChatStreamRelay:
    def __init__(self, events: AsyncIterator[bytes], *, guard_for: Callable[[int], AnswerGuard],
                 model: str | None) -> None:
        self._events = events
        self._guard_for = guard_for
        self.guards: dict[int, AnswerGuard] = {}  # one per choice index
        self._model = model
        self.first_event_at: float | None = None
        self.usage: dict[str, Any] | None = None
        self.failure: RelayFailure | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        last_event: dict[str, Any] | None = None
        try:
            async for data in iter_sse_data(self._events):
                if data == DONE:
                    break
                self.first_event_at = self.first_event_at or time.perf_counter()
                event = json.loads(data)
                self.usage = event.get("usage") or self.usage
                last_event = event
                if await self._guard_choices(event):
                    yield encode_event(event)
            for index, guard in self.guards.items():  # an upstream that never sent a finish_reason
                tail = await guard.finish()
                if tail and last_event is not None:
                    yield encode_event(_content_event(last_event, self._model, index, tail))
        except UpstreamError as exc:
            self.failure = RelayFailure(502, "upstream_stream_broken", outcome_of(exc))
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            self.failure = RelayFailure(502, "upstream_malformed_stream", "rejected:malformed-stream")
        except DetectionFailed:
            self.failure = RelayFailure(503, "pii_detection_failed", "ok")

    async def _guard_choices(self, event: dict[str, Any]) -> bool:
        """Pass each choice's content through the guard. False: nothing left to send now."""
        choices = event.get("choices") or []
        for choice in choices:
            index = choice.get("index", 0)
            guard = self.guards.get(index) or self.guards.setdefault(index, self._guard_for(index))
            delta = choice.setdefault("delta", {})
            text = delta["content"] if isinstance(delta.get("content"), str) else ""
            released = await guard.feed(text)
            if choice.get("finish_reason"):
                # The answer ends here: release everything still held back, in this event.
                released += await guard.finish()
            if released or "content" in delta:
                delta["content"] = released
        event["model"] = self._model
        held_back = bool(choices) and all(
            c["delta"] == {"content": ""} and not c.get("finish_reason") for c in choices
        )
        return not held_back


def _content_event(template: dict[str, Any], model: str | None, index: int, text: str) -> dict[str, Any]:
    return {"id": template.get("id"), "object": "chat.completion.chunk", "created": template.get("created"),
            "model": model, "choices": [{"index": index, "delta": {"content": text}, "finish_reason": None}]}
