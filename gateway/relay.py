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


# Text fields of a streamed delta that reach the caller (tool-call arguments are handled apart).
DELTA_TEXT_FIELDS = ("content", "refusal", "reasoning_content")


class ChatStreamRelay:
    """Relays one upstream stream; `guards` holds one AnswerGuard per text slot it has seen
    (each choice's content, refusal, reasoning and each tool call's arguments)."""

    def __init__(self, events: AsyncIterator[bytes], *, guard_for: Callable[[str], AnswerGuard],
                 model: str | None) -> None:
        self._events = events
        self._guard_for = guard_for
        self.guards: dict[str, AnswerGuard] = {}
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
                if not isinstance(event, dict):
                    raise TypeError("an SSE event that is not a JSON object")
                self.usage = event.get("usage") or self.usage
                last_event = event
                if await self._guard_choices(event):
                    yield encode_event(event)
            if last_event is not None:  # an upstream that never sent a finish_reason
                for location, guard in self.guards.items():
                    tail = await guard.finish()
                    if tail:
                        yield encode_event(_tail_event(last_event, self._model, location, tail))
        except UpstreamError as exc:
            self.failure = RelayFailure(502, "upstream_stream_broken", outcome_of(exc))
        except DetectionFailed:
            self.failure = RelayFailure(503, "pii_detection_failed", "ok")
        except (ValueError, TypeError, KeyError, AttributeError):  # JSON or shape errors from upstream
            self.failure = RelayFailure(502, "upstream_malformed_stream", "rejected:malformed-stream")

    def _guard(self, location: str) -> AnswerGuard:
        guard = self.guards.get(location)
        if guard is None:
            guard = self.guards[location] = self._guard_for(location)
        return guard

    async def _guard_choices(self, event: dict[str, Any]) -> bool:
        """Pass every text of every choice through its guard. False: nothing to send now."""
        choices = event.get("choices") or []
        for choice in choices:
            index = int(choice.get("index", 0))
            choice.pop("logprobs", None)  # would carry the answer's text past the scan
            delta = choice.setdefault("delta", {})
            finishing = bool(choice.get("finish_reason"))
            prefix = f"choices[{index}].delta"
            for field in DELTA_TEXT_FIELDS:
                location = f"{prefix}.{field}"
                if isinstance(delta.get(field), str) or (finishing and location in self.guards):
                    guard = self._guard(location)
                    released = await guard.feed(delta.get(field) or "")
                    if finishing:
                        released += await guard.finish()
                    if released or field in delta:
                        delta[field] = released
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                if isinstance(function.get("arguments"), str):
                    guard = self._guard(f"{prefix}.tool_calls[{int(call['index'])}].function.arguments")
                    function["arguments"] = await guard.feed(function["arguments"])
            if finishing:
                await self._finish_tool_calls(prefix, delta)
        event["model"] = self._model
        held_back = bool(choices) and all(
            not c.get("finish_reason") and c["delta"] and all(v == "" for v in c["delta"].values())
            for c in choices
        )
        return not held_back

    async def _finish_tool_calls(self, prefix: str, delta: dict[str, Any]) -> None:
        for location, guard in self.guards.items():
            if location.startswith(f"{prefix}.tool_calls["):
                tail = await guard.finish()
                if tail:
                    index = int(location[len(prefix) + len(".tool_calls["):].split("]")[0])
                    delta.setdefault("tool_calls", []).append({"index": index, "function": {"arguments": tail}})


def _tail_event(template: dict[str, Any], model: str | None, location: str, text: str) -> dict[str, Any]:
    """An event carrying what a guard still held when the upstream stopped without finishing."""
    index = int(location.removeprefix("choices[").split("]")[0])
    field = location.split(".delta.", 1)[1]
    if field.startswith("tool_calls["):
        delta: dict[str, Any] = {"tool_calls": [
            {"index": int(field.removeprefix("tool_calls[").split("]")[0]), "function": {"arguments": text}}]}
    else:
        delta = {field: text}
    return {"id": template.get("id"), "object": "chat.completion.chunk", "created": template.get("created"),
            "model": model, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}
