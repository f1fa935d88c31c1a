"""The OpenAI request bodies the gateway accepts, field by field.

Every text that goes upstream is one the gateway has read: message content, names, refusals
and tool-call arguments are scanned; sampling and format controls pass as they are; caller
identifiers (`user`, `metadata`, ...) are stripped; anything else, and content the gateway
cannot read (images, audio, token arrays, log-probabilities), is refused with a 400
rather than forwarded unseen (fail closed).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.errors import BadRequest

MAX_MESSAGES = 1024


def _well_formed(text: str) -> str:
    # JSON can carry unpaired surrogates ("\ud800"): not text anyone can scan or forward.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains an unpaired surrogate (invalid Unicode)") from None
    return text


Text = Annotated[str, AfterValidator(_well_formed)]
_Body = TypeVar("_Body", bound=BaseModel)


class _Closed(BaseModel):
    # Unknown fields are refused: whatever the gateway does not know, it cannot scan.
    model_config = ConfigDict(extra="forbid")


class TextPart(_Closed):
    type: Literal["text"]
    text: Text


class FunctionCall(_Closed):
    name: str = Field(max_length=256)
    arguments: Text


class ToolCall(_Closed):
    id: str = Field(max_length=256)
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Closed):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None
    name: Text | None = Field(default=None, max_length=256)
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = Field(default=None, max_length=256)
    function_call: FunctionCall | None = None
    refusal: Text | None = None


class ChatRequest(_Closed):
    model: str = Field(min_length=1, max_length=256)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    # Sampling and format controls, forwarded as they are (set by the developer, not the customer).
    stream_options: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = Field(default=None, ge=1, le=8)
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    service_tier: str | None = None
    # Identifiers a caller may send for its own tracking: recorded as erased, never forwarded.
    user: str | None = None
    safety_identifier: str | None = None
    metadata: dict[str, Any] | None = None
    store: bool | None = None
    # Log-probabilities would carry the answer's text past the output scan.
    logprobs: Literal[False] | None = None


# Fields the gateway takes out of a request before it goes upstream.
STRIPPED_FIELDS = ("user", "safety_identifier", "metadata", "store")


class EmbeddingsRequest(_Closed):
    model: str = Field(min_length=1, max_length=256)
    input: Text | list[Text]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = None
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("input must not be empty")
        return value


def outgoing(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The body without the fields that never leave the gateway, and their JSON pointers."""
    removed = [name for name in STRIPPED_FIELDS if name in body]
    return {k: v for k, v in body.items() if k not in STRIPPED_FIELDS}, [f"/body/{name}" for name in removed]


def chat_texts(request: ChatRequest) -> list[tuple[str, str]]:
    """(location, text) for every piece of text in the conversation, in order."""
    texts: list[tuple[str, str]] = []
    for i, message in enumerate(request.messages):
        at = f"messages[{i}]"
        if isinstance(message.content, str):
            texts.append((f"{at}.content", message.content))
        elif isinstance(message.content, list):
            texts.extend((f"{at}.content[{j}].text", part.text) for j, part in enumerate(message.content))
        if message.name:
            texts.append((f"{at}.name", message.name))
        if message.refusal:
            texts.append((f"{at}.refusal", message.refusal))
        for k, call in enumerate(message.tool_calls or []):
            texts.append((f"{at}.tool_calls[{k}].function.arguments", call.function.arguments))
        if message.function_call is not None:
            texts.append((f"{at}.function_call.arguments", message.function_call.arguments))
    return texts


def replace_texts(body: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    """A copy of the raw body with the texts at the given locations replaced."""
    if not replacements:
        return body
    edited = copy.deepcopy(body)
    for location, text in replacements.items():
        steps = [int(index) if index else name for name, index in _STEP.findall(location)]
        target = edited
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = text
    return edited


_STEP = re.compile(r"(\w+)|\[(\d+)\]")


def embedding_texts(request: EmbeddingsRequest) -> list[tuple[str, str]]:
    if isinstance(request.input, str):
        return [("input", request.input)]
    return [(f"input[{i}]", text) for i, text in enumerate(request.input)]


class MalformedAnswer(ValueError):
    """An upstream answer that does not have the shape of a chat completion."""


def answer_texts(answer: Any) -> list[tuple[str, str]]:
    """(location, text) of every text a chat completion carries back to the caller."""
    if not isinstance(answer, dict) or not isinstance(answer.get("choices", []), list):
        raise MalformedAnswer("not a chat completion object")
    texts: list[tuple[str, str]] = []
    for i, choice in enumerate(answer.get("choices") or []):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise MalformedAnswer(f"choices[{i}] has no message object")
        choice.pop("logprobs", None)  # would carry the answer's text past the scan
        at = f"choices[{i}].message"
        for field in ("content", "refusal"):
            value = message.get(field)
            if isinstance(value, str):
                texts.append((f"{at}.{field}", value))
            elif value is not None:
                raise MalformedAnswer(f"{at}.{field} is not text")
        calls = message.get("tool_calls") or []
        for k, call in enumerate(calls if isinstance(calls, list) else []):
            arguments = ((call or {}).get("function") or {}).get("arguments")
            if isinstance(arguments, str):
                texts.append((f"{at}.tool_calls[{k}].function.arguments", arguments))
        arguments = (message.get("function_call") or {}).get("arguments")
        if isinstance(arguments, str):
            texts.append((f"{at}.function_call.arguments", arguments))
    return texts


class RedactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(max_length=1_000_000)


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(max_length=1_000_000)
    language: Literal["en", "zh"] | None = None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def parse_model(model: type[_Body], body: dict[str, Any]) -> _Body:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(_validation_message(exc), param=_validation_param(exc)) from None


def _validation_message(exc: ValidationError) -> str:
    # Field paths and error kinds only: pydantic's default message would echo the input.
    first = exc.errors(include_url=False, include_input=False)[0]
    path = ".".join(str(part) for part in first["loc"]) or "body"
    return f"invalid request body at {path}: {first['msg']}"


def _validation_param(exc: ValidationError) -> str | None:
    loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
    return ".".join(str(part) for part in loc) or None
