"""The upstream's answer, rebuilt from the fields the gateway knows, as requests are parsed.

Whatever the model or provider adds that the gateway does not read never reaches the caller:
unknown fields (top level, choice, message, delta), `logprobs` (the answer's text again),
audio data (cannot be scanned; its transcript is), annotations of unknown types, the
provider's `system_fingerprint`, and usage entries that are not token counters. The
completion's `id` is the gateway's own (from the decision id), so it carries nothing of the
upstream's.

Each text the caller receives is listed with its location for the answer guard (output
scan + restore): content, refusal, reasoning, tool-call arguments and names, tool-call ids
(identifiers: never rewritten, replaced when the scan objects), audio transcripts,
citation titles and URLs. The streamed chunk shape is here too; the relay guards it.
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from gateway.json_body import is_well_formed
from gateway.locations import Location, Step, identifier

MAX_CHOICES = 128
MAX_TOOL_CALLS = 1024
FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
SERVICE_TIERS = frozenset({"auto", "default", "flex", "scale", "priority"})
# Token counters only: `prompt_tokens`, `completion_tokens_details.reasoning_tokens`, …
_COUNTER = re.compile(r"[a-z]+(?:_[a-z]+)*_tokens")
_COUNTER_DETAILS = re.compile(r"[a-z]+(?:_[a-z]+)*_tokens_details")
_COUNTER_MAX = 2**53
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class MalformedAnswer(ValueError):
    """An upstream answer that does not have the shape of what was asked for."""


def _text(value: str) -> str:
    if not is_well_formed(value):
        raise ValueError("invalid Unicode")
    return value


AnswerText = Annotated[str, AfterValidator(_text)]


class _Known(BaseModel):
    # Unknown fields are dropped (never passed on); known ones must have their type.
    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)


class AnswerFunction(_Known):
    name: AnswerText | None = None
    arguments: AnswerText | None = None


class AnswerToolCall(_Known):
    id: AnswerText | None = None
    function: AnswerFunction = Field(default_factory=AnswerFunction)


class Citation(_Known):
    start_index: int | None = None
    end_index: int | None = None
    title: AnswerText | None = None
    url: AnswerText | None = None


class Annotation(_Known):
    type: str
    url_citation: Citation | None = None


class Audio(_Known):
    transcript: AnswerText | None = None


class _MessageTexts(_Known):
    """What a message and a streamed delta both carry (their tool calls differ)."""

    content: AnswerText | None = None
    refusal: AnswerText | None = None
    reasoning_content: AnswerText | None = None
    function_call: AnswerFunction | None = None
    audio: Audio | None = None
    annotations: list[Annotation] | None = None


class _Envelope(_Known):
    """What a completion and a streamed chunk both carry around their choices."""

    created: int | None = None
    usage: dict[str, Any] | None = None
    service_tier: str | None = None


class AnswerMessage(_MessageTexts):
    tool_calls: list[AnswerToolCall] | None = Field(default=None, max_length=MAX_TOOL_CALLS)


class AnswerChoice(_Known):
    index: int = Field(default=0, ge=0, lt=MAX_CHOICES)
    message: AnswerMessage
    finish_reason: str | None = None


class Completion(_Envelope):
    choices: list[AnswerChoice] = Field(default_factory=list, max_length=MAX_CHOICES)


class DeltaToolCall(_Known):
    index: int = Field(ge=0, lt=MAX_TOOL_CALLS)
    id: AnswerText | None = None
    function: AnswerFunction | None = None


class Delta(_MessageTexts):
    role: str | None = None
    tool_calls: list[DeltaToolCall] | None = None


class ChunkChoice(_Known):
    index: int = Field(default=0, ge=0, lt=MAX_CHOICES)
    delta: Delta = Field(default_factory=Delta)
    finish_reason: str | None = None


class Chunk(_Envelope):
    choices: list[ChunkChoice] = Field(default_factory=list, max_length=MAX_CHOICES)


class EmbeddingItem(_Known):
    index: int = Field(ge=0)
    embedding: list[float] | str


class EmbeddingsAnswer(_Known):
    data: list[EmbeddingItem]
    usage: dict[str, Any] | None = None


# --- non-streamed chat completions ------------------------------------------------------

TEXT_FIELDS = ("content", "refusal", "reasoning_content")


def shape_completion(answer: Any, *, completion_id: str, model: str | None) -> tuple[dict[str, Any],
                                                                                    list[tuple[Location, str]]]:
    """The answer rebuilt from known fields, and (location, text) of every text in it."""
    parsed = _validate(Completion, answer)
    texts: list[tuple[Location, str]] = []
    choices = []
    for i, choice in enumerate(parsed.choices):
        at: tuple[Step, ...] = ("choices", i, "message")
        message, shaped = choice.message, {"role": "assistant", "content": choice.message.content}
        for field in TEXT_FIELDS:
            value = getattr(message, field)
            if value is not None:
                shaped[field] = value
                texts.append((Location((*at, field)), value))
        if message.tool_calls is not None:
            shaped["tool_calls"] = []
            for k, call in enumerate(message.tool_calls):
                shaped["tool_calls"].append({"id": call.id or new_call_id(), "type": "function",
                                             "function": _function(call.function)})
                if call.id:
                    texts.append((identifier((*at, "tool_calls", k, "id")), call.id))
                texts.extend(_function_texts(call.function, (*at, "tool_calls", k, "function")))
        if message.function_call is not None:
            shaped["function_call"] = _function(message.function_call)
            texts.extend(_function_texts(message.function_call, (*at, "function_call")))
        if message.audio is not None and message.audio.transcript is not None:
            shaped["audio"] = {"transcript": message.audio.transcript}
            texts.append((Location((*at, "audio", "transcript")), message.audio.transcript))
        if message.annotations is not None:
            shaped["annotations"], found = shape_annotations(message.annotations, (*at, "annotations"))
            texts.extend(found)
        choices.append({"index": choice.index, "message": shaped, "finish_reason": finish_reason(choice.finish_reason)})
    shaped_answer: dict[str, Any] = {"id": completion_id, "object": "chat.completion",
                                     "created": _created(parsed.created), "model": model, "choices": choices}
    _copy_common(parsed, shaped_answer)
    return shaped_answer, texts


def _function(function: AnswerFunction) -> dict[str, str]:
    return {"name": function.name or "", "arguments": function.arguments or ""}


def _function_texts(function: AnswerFunction, at: tuple[Step, ...]) -> list[tuple[Location, str]]:
    texts: list[tuple[Location, str]] = []
    if function.name:
        texts.append((identifier((*at, "name")), function.name))
    if function.arguments:
        texts.append((Location((*at, "arguments")), function.arguments))
    return texts


def shape_annotations(annotations: list[Annotation],
                      at: tuple[Step, ...]) -> tuple[list[dict[str, Any]], list[tuple[Location, str]]]:
    """URL citations keep their indexes, title and URL (both scanned); other kinds are dropped."""
    shaped: list[dict[str, Any]] = []
    texts: list[tuple[Location, str]] = []
    for annotation in annotations:
        citation = annotation.url_citation
        if annotation.type != "url_citation" or citation is None:
            continue
        position = (*at, len(shaped), "url_citation")
        item: dict[str, Any] = {}
        for field in ("start_index", "end_index"):
            if getattr(citation, field) is not None:
                item[field] = getattr(citation, field)
        for field in ("title", "url"):
            value = getattr(citation, field)
            if value is not None:
                item[field] = value
                texts.append((Location((*position, field)), value))
        shaped.append({"type": "url_citation", "url_citation": item})
    return shaped, texts


def finish_reason(reason: str | None) -> str | None:
    # A provider's own reason ("eos", …) is reported as a plain stop, never passed on as text.
    if reason is None:
        return None
    return reason if reason in FINISH_REASONS else "stop"


def clean_usage(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """Token counters only (integers), nested `*_tokens_details` included."""
    if usage is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in usage.items():
        if _COUNTER.fullmatch(key) and _is_counter(value):
            cleaned[key] = value
        elif _COUNTER_DETAILS.fullmatch(key) and isinstance(value, dict):
            details = {k: v for k, v in value.items() if _COUNTER.fullmatch(k) and _is_counter(v)}
            if details:
                cleaned[key] = details
    return cleaned


def _is_counter(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _COUNTER_MAX


def _copy_common(parsed: Completion | Chunk, shaped: dict[str, Any]) -> None:
    usage = clean_usage(parsed.usage)
    if usage is not None:
        shaped["usage"] = usage
    if parsed.service_tier in SERVICE_TIERS:
        shaped["service_tier"] = parsed.service_tier


def _created(created: int | None) -> int:
    return created if created is not None and 0 <= created < 2**40 else 0


# --- streamed chunks --------------------------------------------------------------------


def parse_chunk(event: Any) -> Chunk:
    return _validate(Chunk, event)


def chunk_frame(parsed: Chunk, *, completion_id: str, model: str | None) -> dict[str, Any]:
    """A chunk's envelope (choices are filled by the relay)."""
    frame: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk",
                             "created": _created(parsed.created), "model": model, "choices": []}
    _copy_common(parsed, frame)
    return frame


# --- embeddings -------------------------------------------------------------------------


def shape_embeddings(answer: Any, *, model: str | None) -> dict[str, Any]:
    """Vectors (finite numbers, or base64 as asked) and token counts; nothing else."""
    parsed = _validate(EmbeddingsAnswer, answer)
    data = []
    for item in parsed.data:
        if isinstance(item.embedding, str) and not _BASE64.fullmatch(item.embedding):
            raise MalformedAnswer("an embedding is neither numbers nor base64")
        if isinstance(item.embedding, list) and not all(math.isfinite(x) for x in item.embedding):
            raise MalformedAnswer("an embedding holds a non-finite number")
        data.append({"object": "embedding", "index": item.index, "embedding": item.embedding})
    shaped: dict[str, Any] = {"object": "list", "data": data, "model": model}
    usage = clean_usage(parsed.usage)
    if usage is not None:
        shaped["usage"] = usage
    return shaped


# --- shared -----------------------------------------------------------------------------


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def completion_id_for(decision_id: str) -> str:
    return f"chatcmpl-{decision_id.removeprefix('dec_')}"


_Shape = TypeVar("_Shape", bound=BaseModel)


def _validate(model: type[_Shape], value: Any) -> _Shape:
    if not isinstance(value, dict):
        raise MalformedAnswer("not a JSON object")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        # Field names and positions only: the upstream's values may be anyone's data.
        where = ".".join(str(p) for p in first["loc"] if isinstance(p, int) or p in _FIELD_NAMES) or "answer"
        raise MalformedAnswer(f"{where}: {first['type']}") from None


def _field_names() -> frozenset[str]:
    models = (AnswerFunction, AnswerToolCall, Citation, Annotation, Audio, AnswerMessage, AnswerChoice, Completion,
              DeltaToolCall, Delta, ChunkChoice, Chunk, EmbeddingItem, EmbeddingsAnswer)
    return frozenset(name for model in models for name in model.model_fields)


_FIELD_NAMES = _field_names()
