"""The parts of OpenAI request bodies the gateway reads. Everything else passes through.

Text is what the gateway can inspect; content it cannot read (images, audio, token arrays)
is refused rather than forwarded unseen (fail closed).
"""

from __future__ import annotations

import json
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


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text"]
    text: Text


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=256)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


class EmbeddingsRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=256)
    input: Text | list[Text]

    @field_validator("input")
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("input must not be empty")
        return value


def chat_texts(request: ChatRequest) -> list[tuple[str, str]]:
    """(location, text) for every piece of text in the conversation, in order."""
    texts: list[tuple[str, str]] = []
    for i, message in enumerate(request.messages):
        if isinstance(message.content, str):
            texts.append((f"messages[{i}].content", message.content))
        elif isinstance(message.content, list):
            for j, part in enumerate(message.content):
                texts.append((f"messages[{i}].content[{j}].text", part.text))
    return texts


def replace_chat_texts(body: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    """Return a copy of the raw body with the texts at the given locations replaced."""
    messages = [dict(message) for message in body["messages"]]
    for location, text in replacements.items():
        index, _, rest = location.removeprefix("messages[").partition("]")
        message = messages[int(index)]
        if rest == ".content":
            message["content"] = text
        else:
            part_index = int(rest.removeprefix(".content[").removesuffix("].text"))
            parts = [dict(part) for part in message["content"]]
            parts[part_index]["text"] = text
            message["content"] = parts
        messages[int(index)] = message
    return {**body, "messages": messages}


def embedding_texts(request: EmbeddingsRequest) -> list[tuple[str, str]]:
    if isinstance(request.input, str):
        return [("input", request.input)]
    return [(f"input[{i}]", text) for i, text in enumerate(request.input)]


def replace_embedding_texts(body: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    if isinstance(body["input"], str):
        return {**body, "input": replacements.get("input", body["input"])}
    inputs = list(body["input"])
    for location, text in replacements.items():
        inputs[int(location.removeprefix("input[").removesuffix("]"))] = text
    return {**body, "input": inputs}


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
