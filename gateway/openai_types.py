"""The OpenAI request bodies the gateway accepts, field by field.

Every text the model or the provider receives is one the gateway has read:

- scanned, and acted on as the policy says: message content, names, refusals, tool-call
  arguments, `stop` sequences, tool and response-format descriptions, and every text of their
  JSON Schemas (descriptions, titles, enum/const/default/examples values, patterns);
- identifiers (tool and function names, tool-call ids, `tool_choice`, schema property names):
  checked against a strict pattern and scanned, never rewritten: PII in one is refused;
- closed vocabularies, checked: `service_tier`, `reasoning_effort`, `tool_choice` modes,
  `response_format` types, `stream_options`, numeric controls within their documented
  ranges, `logit_bias` as token ids (digits) to finite biases;
- stripped: caller identifiers (`user`, `safety_identifier`, `metadata`, `store`);
- refused with a 400: anything else, and content the gateway cannot read (images, audio,
  token arrays, log-probabilities), rather than forwarded unseen (fail closed).

The JSON itself is read within bounds first (`gateway.json_body`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from gateway.config import DEFAULT_MAX_MESSAGES, DEFAULT_MAX_SCAN_CHARS
from gateway.errors import BadRequest, PayloadTooLarge
# parse_json_object is re-exported: every route reads its body through this module.
from gateway.json_body import is_well_formed, parse_json_object  # noqa: F401
from gateway.locations import Location, Step, identifier
from gateway.schema_texts import schema_texts


def _well_formed(text: str) -> str:
    # JSON can carry unpaired surrogates ("\ud800"): not text anyone can scan or forward.
    if not is_well_formed(text):
        raise ValueError("text contains an unpaired surrogate (invalid Unicode)")
    return text


Text = Annotated[str, AfterValidator(_well_formed)]
# OpenAI's pattern for function names (tools, tool calls, tool_choice, response formats).
FunctionName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
# Tool-call ids: `call_…` (OpenAI), `toolu_…` (Anthropic), `functions.name:0` (some others).
CallId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_.:-]{1,128}$")]
# logit_bias keys: token ids of the model's vocabulary (the largest in use have ~260k tokens).
TokenId = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,5})$")]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TOKENS_MAX = 2**31 - 1
MAX_TOOLS = 128
MAX_STOP_SEQUENCES = 4
MAX_LOGIT_BIAS = 1024
_Body = TypeVar("_Body", bound=BaseModel)


class _Closed(BaseModel):
    # Unknown fields are refused: whatever the gateway does not know, it cannot scan. Strict:
    # what goes upstream is the body as sent, so it must be what was validated ("1" is no int).
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class TextPart(_Closed):
    type: Literal["text"]
    text: Text


class FunctionCall(_Closed):
    name: FunctionName
    arguments: Text


class ToolCall(_Closed):
    id: CallId
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Closed):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None
    name: Text | None = Field(default=None, max_length=256)
    tool_calls: list[ToolCall] | None = None
    tool_call_id: CallId | None = None
    function_call: FunctionCall | None = None
    refusal: Text | None = None


class FunctionDefinition(_Closed):
    name: FunctionName
    description: Text | None = None
    parameters: dict[str, Any] | None = None  # a JSON Schema: walked by `schema_texts`
    strict: bool | None = None


class Tool(_Closed):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Closed):
    name: FunctionName


class NamedToolChoice(_Closed):
    type: Literal["function"]
    function: NamedFunction


class StreamOptions(_Closed):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class TextFormat(_Closed):
    type: Literal["text"]


class JsonObjectFormat(_Closed):
    type: Literal["json_object"]


class JsonSchemaSpec(_Closed):
    name: FunctionName
    description: Text | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class JsonSchemaFormat(_Closed):
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[Union[TextFormat, JsonObjectFormat, JsonSchemaFormat], Field(discriminator="type")]


class ChatRequest(_Closed):
    model: str = Field(min_length=1, max_length=256)
    # Bounded per request by the `max_messages` setting (413), not here.
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    # Sampling controls, within OpenAI's documented ranges.
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    n: int | None = Field(default=None, ge=1, le=8)
    max_tokens: int | None = Field(default=None, ge=0, le=TOKENS_MAX)
    max_completion_tokens: int | None = Field(default=None, ge=0, le=TOKENS_MAX)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[TokenId, Annotated[float, Field(ge=-100, le=100)]] | None = Field(
        default=None, max_length=MAX_LOGIT_BIAS)
    seed: int | None = Field(default=None, ge=INT64_MIN, le=INT64_MAX)
    # Texts the model reads: scanned.
    stop: Text | list[Text] | None = None
    response_format: ResponseFormat | None = None
    tools: list[Tool] | None = Field(default=None, max_length=MAX_TOOLS)
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority"] | None = None
    # Identifiers a caller may send for its own tracking: recorded as erased, never forwarded.
    user: Text | None = None
    safety_identifier: Text | None = None
    metadata: dict[str, Any] | None = None
    store: bool | None = None
    # Log-probabilities would carry the answer's text past the output scan.
    logprobs: Literal[False] | None = None

    @field_validator("stop")
    @classmethod
    def _few_stops(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences")
        return value


# Fields the gateway takes out of a request before it goes upstream.
STRIPPED_FIELDS = ("user", "safety_identifier", "metadata", "store")


class EmbeddingsRequest(_Closed):
    model: str = Field(min_length=1, max_length=256)
    input: Text | list[Text]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1, le=TOKENS_MAX)
    user: Text | None = None

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


def chat_texts(request: ChatRequest) -> list[tuple[Location, str]]:
    """(location, text) for every text and identifier the model receives, in order."""
    texts: list[tuple[Location, str]] = []
    for i, message in enumerate(request.messages):
        at: tuple[Step, ...] = ("messages", i)
        if isinstance(message.content, str):
            texts.append((Location((*at, "content")), message.content))
        elif isinstance(message.content, list):
            texts.extend((Location((*at, "content", j, "text")), part.text) for j, part in enumerate(message.content))
        if message.name:
            texts.append((Location((*at, "name")), message.name))
        if message.refusal:
            texts.append((Location((*at, "refusal")), message.refusal))
        for k, call in enumerate(message.tool_calls or []):
            texts.append((identifier((*at, "tool_calls", k, "id")), call.id))
            texts.extend(_function_call(call.function, (*at, "tool_calls", k, "function")))
        if message.tool_call_id is not None:
            texts.append((identifier((*at, "tool_call_id")), message.tool_call_id))
        if message.function_call is not None:
            texts.extend(_function_call(message.function_call, (*at, "function_call")))
    for i, tool in enumerate(request.tools or []):
        at = ("tools", i, "function")
        texts.append((identifier((*at, "name")), tool.function.name))
        if tool.function.description:
            texts.append((Location((*at, "description")), tool.function.description))
        if tool.function.parameters is not None:
            texts.extend(schema_texts(tool.function.parameters, (*at, "parameters")))
    if isinstance(request.tool_choice, NamedToolChoice):
        texts.append((identifier(("tool_choice", "function", "name")), request.tool_choice.function.name))
    if isinstance(request.response_format, JsonSchemaFormat):
        spec, at = request.response_format.json_schema, ("response_format", "json_schema")
        texts.append((identifier((*at, "name")), spec.name))
        if spec.description:
            texts.append((Location((*at, "description")), spec.description))
        if spec.schema_ is not None:
            texts.extend(schema_texts(spec.schema_, (*at, "schema")))
    if isinstance(request.stop, str):
        texts.append((Location(("stop",)), request.stop))
    else:
        texts.extend((Location(("stop", i)), stop) for i, stop in enumerate(request.stop or []))
    return texts


def _function_call(call: FunctionCall, at: tuple[Step, ...]) -> list[tuple[Location, str]]:
    return [(identifier((*at, "name")), call.name), (Location((*at, "arguments")), call.arguments)]


def embedding_texts(request: EmbeddingsRequest) -> list[tuple[Location, str]]:
    if isinstance(request.input, str):
        return [(Location(("input",)), request.input)]
    return [(Location(("input", i)), text) for i, text in enumerate(request.input)]


@dataclass(frozen=True)
class ScanLimits:
    """The work one request may ask for (settings `max_messages`, `max_scan_chars`)."""

    max_messages: int = DEFAULT_MAX_MESSAGES
    max_scan_chars: int = DEFAULT_MAX_SCAN_CHARS

    def check(self, request: ChatRequest | EmbeddingsRequest, texts: list[tuple[Location, str]]) -> None:
        """413 before anything is scanned or sent when the request asks for more."""
        if isinstance(request, ChatRequest) and len(request.messages) > self.max_messages:
            raise PayloadTooLarge(f"the request has more than {self.max_messages} messages",
                                  code="too_many_messages", param="messages")
        if sum(len(text) for _, text in texts) > self.max_scan_chars:
            raise PayloadTooLarge(f"the request's texts exceed {self.max_scan_chars} characters to scan "
                                  "(messages, tools, schemas and identifiers together)", code="scan_budget_exceeded")


class RedactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Text = Field(max_length=1_000_000)


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Text = Field(max_length=1_000_000)
    language: Literal["en", "zh"] | None = None


def parse_model(model: type[_Body], body: dict[str, Any]) -> _Body:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=True)[0]
        path = _safe_path(first["loc"])
        raise BadRequest(f"invalid request body at {path or 'body'}: {_safe_message(first)}",
                         param=path or None) from None


def _field_names(*models: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    pending = list(models)
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        for name, info in model.model_fields.items():
            names.update({name, info.alias or name})
            pending.extend(m for m in _models_in(info.annotation) if m.__name__ not in names)
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


# Field names may be shown in an error; dict keys and unknown fields are the caller's input.
_KNOWN_NAMES = _field_names(ChatRequest, EmbeddingsRequest, RedactRequest, AnalyzeRequest) | {
    "str", "int", "float", "bool", "list", "dict", "[key]"}
# pydantic's union member tags in a path, e.g. `function-after[_well_formed(), str]`.
_TAG_PREFIXES = ("function-", "list[", "dict[", "literal[", "nullable[", "tagged-union[", "constrained-")


def _safe_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) or part in _KNOWN_NAMES:
            parts.append(str(part))
        elif not (part.startswith(_TAG_PREFIXES) and part.endswith("]")):
            parts.append("*")  # a key the caller chose: never echoed
    return ".".join(parts)


def _safe_message(error: Any) -> str:
    # pydantic's messages quote expectations, not input, except for an unknown union tag.
    if error["type"] == "union_tag_invalid":
        return f"must be one of {error.get('ctx', {}).get('expected_tags', 'the documented types')}"
    if error["type"] == "extra_forbidden":
        return "unknown field (the gateway forwards only fields it can read)"
    return str(error["msg"])


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its `$defs` inlined, so it can stand inside another
    document (an OpenAPI requestBody) where `#/$defs/...` would point nowhere."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            # A discriminator's mapping names the $defs just inlined; its oneOf says the same.
            return {key: resolve(value) for key, value in node.items() if key != "discriminator"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)
