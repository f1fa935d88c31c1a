"""Relay an upstream chat stream to the caller, event by event, through AnswerGuards.

Each event is rebuilt from the fields the gateway knows (`gateway.answer_shape`); every text
of every delta passes its own guard (one per slot: a choice's content, refusal, reasoning,
audio transcript, legacy function call, each tool call's arguments), so a value split over
chunks is still seen whole. A tool call's id and name are held until its arguments begin
(or the next tool call, or the end): they are then scanned whole and sent together, so the
caller's first piece of a tool call still carries both.

The relay yields SSE bytes and never builds ASGI messages. It stops at the upstream's
`[DONE]` without sending it: the pipeline records the decision first, then ends the stream.
A failure (the upstream broke off, sent garbage, or the answer could not be scanned) ends
the relay early and is left in `failure` for the pipeline to record and report.

For the record it keeps its clocks apart: `read_wait_s`, time spent waiting for the
upstream's bytes (`first_event_wait_s` of it before the first event), and `answer_s`, time
spent on the events (parsing, scanning, restoring); the time its caller takes to send a
chunk on is neither. `answer_chars` counts the texts it released (identifiers aside).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.answer_shape import (
    TEXT_FIELDS,
    AnswerFunction,
    Chunk,
    ChunkChoice,
    Delta,
    DeltaToolCall,
    MalformedAnswer,
    chunk_frame,
    finish_reason,
    new_call_id,
    parse_chunk,
    shape_annotations,
)
from gateway.decision import AttemptOutcome
from gateway.errors import GatewayError, ServiceUnavailable, UpstreamFailed
from gateway.locations import Location, Step
from gateway.pii.detector import DetectionFailed
from gateway.stages.answer import AnswerGuard
from gateway.stages.forwarding import attempt_outcome
from gateway.upstream.errors import UpstreamError
from gateway.upstream.sse import DONE, encode_event, iter_sse_data

# A tool call's id or name is held whole until its arguments begin: beyond this it is not one.
MAX_HELD_IDENTIFIER_CHARS = 256


@dataclass(frozen=True)
class RelayFailure:
    error: GatewayError  # what the stream ends with, and the record says
    outcome: AttemptOutcome  # how the upstream attempt ended, for the route record
    status: int | None = None  # the upstream's status, for a rejection


def _broken(code: str) -> UpstreamFailed:
    return UpstreamFailed("the upstream stream broke off or was malformed", code=code)


@dataclass
class _CallState:
    """A function call being streamed: its id and name until they are released."""

    id: str = ""
    name: str = ""
    opened: bool = False
    closed: bool = False


@dataclass
class _ChoiceState:
    calls: dict[int, _CallState] = field(default_factory=dict)
    function_call: _CallState = field(default_factory=_CallState)
    annotations: int = 0


class ChatStreamRelay:
    """Relays one upstream stream; `guards` holds one AnswerGuard per text slot it has seen."""

    def __init__(self, events: AsyncIterator[bytes], *, guard_for: Callable[[Location], AnswerGuard],
                 model: str | None, completion_id: str = "chatcmpl-govgate") -> None:
        self._events = events
        self._guard_for = guard_for
        self.guards: dict[Location, AnswerGuard] = {}
        self._model = model
        self._completion_id = completion_id
        self._choices: dict[int, _ChoiceState] = {}
        # Each slot's Location made once: a stream has hundreds of deltas, each naming its slots.
        self._slots: dict[tuple[Step, ...], Location] = {}
        self.usage: dict[str, Any] | None = None
        self.failure: RelayFailure | None = None
        self.read_wait_s = 0.0
        self.first_event_wait_s: float | None = None
        self.answer_s = 0.0
        self.answer_chars = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        last: Chunk | None = None
        try:
            async for data in iter_sse_data(self._timed(self._events)):
                if data == DONE:
                    break
                began = time.perf_counter()
                if self.first_event_wait_s is None:
                    self.first_event_wait_s = self.read_wait_s
                chunk = parse_chunk(json.loads(data))
                last = chunk
                event = await self._guard_chunk(chunk)
                self.answer_s += time.perf_counter() - began
                if event is not None:
                    yield encode_event(event)
            if last is not None:  # an upstream that never sent a finish_reason: release what is held
                frame = chunk_frame(last, completion_id=self._completion_id, model=self._model)
                frame.pop("usage", None)
                for index in sorted(self._choices):
                    began = time.perf_counter()
                    delta = await self._guard_delta(index, Delta(), finishing=True)
                    self.answer_s += time.perf_counter() - began
                    if delta:
                        yield encode_event({**frame, "choices": [{"index": index, "delta": delta,
                                                                  "finish_reason": None}]})
        except UpstreamError as exc:
            self.failure = RelayFailure(_broken("upstream_stream_broken"), *attempt_outcome(exc))
        except DetectionFailed:
            unscanned = ServiceUnavailable("the answer could not be scanned for PII; the stream was cut",
                                           code="pii_detection_failed")
            self.failure = RelayFailure(unscanned, "ok")
        except (ValueError, TypeError, KeyError, AttributeError):  # JSON or shape errors from upstream
            self.failure = RelayFailure(_broken("upstream_malformed_stream"), "malformed")

    async def _timed(self, events: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The upstream's bytes, adding the time spent waiting for each to `read_wait_s`."""
        iterator = aiter(events)
        while True:
            began = time.perf_counter()
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                return
            finally:
                self.read_wait_s += time.perf_counter() - began
            yield chunk

    async def _guard_chunk(self, chunk: Chunk) -> dict[str, Any] | None:
        """The chunk rebuilt with every text through its guard; None: nothing to send now."""
        event = chunk_frame(chunk, completion_id=self._completion_id, model=self._model)
        if "usage" in event:
            self.usage = event["usage"]
        held_back = bool(chunk.choices)
        for choice in chunk.choices:
            reason = finish_reason(choice.finish_reason)
            delta = await self._guard_delta(choice.index, choice.delta, finishing=reason is not None)
            event["choices"].append({"index": choice.index, "delta": delta, "finish_reason": reason})
            if reason is not None or any(value != "" for value in delta.values()) or not _carries(choice):
                held_back = False
        return None if held_back else event

    def _at(self, *path: Step) -> Location:
        location = self._slots.get(path)
        if location is None:
            location = self._slots[path] = Location(path)
        return location

    def _guard(self, location: Location) -> AnswerGuard:
        guard = self.guards.get(location)
        if guard is None:
            guard = self.guards[location] = self._guard_for(location)
        return guard

    async def _release(self, location: Location, text: str | None, finishing: bool) -> str:
        released = await self._guard(location).feed(text) if text else ""
        if finishing and location in self.guards:
            released += await self.guards[location].finish()
        self.answer_chars += len(released)
        return released

    async def _guard_delta(self, index: int, delta: Delta, *, finishing: bool) -> dict[str, Any]:
        state = self._choices.setdefault(index, _ChoiceState())
        prefix: tuple[Step, ...] = ("choices", index, "delta")
        out: dict[str, Any] = {}
        if delta.role is not None:
            out["role"] = "assistant"
        for name in TEXT_FIELDS:
            text = getattr(delta, name)
            if text is not None or (finishing and self._at(*prefix, name) in self.guards):
                released = await self._release(self._at(*prefix, name), text, finishing)
                if released or text is not None:
                    out[name] = released
        transcript = delta.audio.transcript if delta.audio is not None else None
        released = await self._release(self._at(*prefix, "audio", "transcript"), transcript, finishing)
        if released:
            out["audio"] = {"transcript": released}
        legacy = state.function_call
        if delta.function_call is not None or (finishing and not legacy.closed and (
                legacy.name or self._at(*prefix, "function_call", "arguments") in self.guards)):
            function_call = await self._function_delta(legacy, (*prefix, "function_call"),
                                                       delta.function_call or AnswerFunction(), finishing)
            legacy.closed = legacy.closed or finishing
            if function_call:
                out["function_call"] = function_call
        calls = []
        for call in delta.tool_calls or []:
            calls.extend(await self._tool_call_delta(state, prefix, call))
        if finishing:
            calls.extend(await self._close_calls(state, prefix, keep=None))
        if calls:
            out["tool_calls"] = calls
        if delta.annotations:
            # Each citation's title and URL scanned whole (they arrive whole, once).
            annotations, texts = shape_annotations(delta.annotations, ())
            for location, text in texts:
                n, _, name = location.path
                slot = self._at(*prefix, "annotations", state.annotations + int(n), "url_citation", str(name))
                guarded = annotations[int(n)]["url_citation"][str(name)] = await self._guard(slot).whole(text)
                self.answer_chars += len(guarded)
            state.annotations += len(annotations)
            if annotations:
                out["annotations"] = annotations
        return out

    async def _tool_call_delta(self, state: _ChoiceState, prefix: tuple[Step, ...], call: DeltaToolCall) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        if call.index not in state.calls:
            # Tool calls stream one after another: a new one means the earlier ones are complete.
            entries.extend(await self._close_calls(state, prefix, keep=call.index))
            state.calls[call.index] = _CallState()
        at = (*prefix, "tool_calls", call.index)
        function = call.function or AnswerFunction()
        entry = await self._function_delta(state.calls[call.index], (*at, "function"), function, False,
                                           call_id=call.id, id_location=self._at(*at, "id"))
        if entry:
            entries.append({"index": call.index, **_tool_entry(entry)})
        return entries

    async def _close_calls(self, state: _ChoiceState, prefix: tuple[Step, ...], *, keep: int | None) -> list[dict[str, Any]]:
        entries = []
        for index in sorted(state.calls):
            call = state.calls[index]
            if index == keep or call.closed:
                continue
            at = (*prefix, "tool_calls", index)
            entry = await self._function_delta(call, (*at, "function"), AnswerFunction(), True,
                                               id_location=self._at(*at, "id"))
            call.closed = True
            if entry:
                entries.append({"index": index, **_tool_entry(entry)})
        return entries

    async def _function_delta(self, call: _CallState, at: tuple[Step, ...], function: AnswerFunction, finishing: bool, *,
                              call_id: str | None = None, id_location: Location | None = None) -> dict[str, Any]:
        """One piece of a function call: its id and name once released, its arguments as they pass."""
        out: dict[str, Any] = {}
        if call.opened:
            # Late pieces of an id or a name (unusual): each scanned whole as it comes.
            if call_id:
                out["id"] = await self._guard(id_location or self._at(*at, "id")).identifier(call_id, replacement=new_call_id())
            if function.name:
                out["name"] = await self._guard(self._at(*at, "name")).identifier(function.name)
        else:
            call.id += call_id or ""
            call.name += function.name or ""
            if len(call.id) > MAX_HELD_IDENTIFIER_CHARS or len(call.name) > MAX_HELD_IDENTIFIER_CHARS:
                raise MalformedAnswer("a tool call's id or name is too long")
            if function.arguments or finishing:
                call.opened = True
                if call.id and id_location is not None:
                    out["id"] = await self._guard(id_location).identifier(call.id, replacement=new_call_id())
                if call.name:
                    out["name"] = await self._guard(self._at(*at, "name")).identifier(call.name)
        if call.opened:
            arguments = await self._release(self._at(*at, "arguments"), function.arguments, finishing)
            if arguments or "name" in out:
                out["arguments"] = arguments
        return out


def _tool_entry(function_delta: dict[str, Any]) -> dict[str, Any]:
    """A tool call's piece in the wire shape: id and type beside the function."""
    entry: dict[str, Any] = {}
    if "id" in function_delta:
        entry["id"] = function_delta.pop("id")
    if "name" in function_delta:
        entry["type"] = "function"
    entry["function"] = function_delta
    return entry


def _carries(choice: ChunkChoice) -> bool:
    """Whether the upstream's delta had anything in it (an empty delta is passed on as it is)."""
    return bool(choice.delta.model_fields_set)
