"""The request as the gateway reads it: JSON within bounds, then field by field, within the
scan budget; the body that may go upstream (unknown fields dropped) and the texts to scan
(short ones joined into batches, one detector pass each); and its shape for the record
(counts only: `RequestShape`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway.locations import Scan, batch_texts
from gateway.openai_types import (
    ChatMessage,
    ChatRequest,
    EmbeddingsRequest,
    ScanLimits,
    chat_texts,
    embedding_texts,
    outgoing,
    parse_json_object,
    parse_model,
)

ProxyKind = Literal["chat", "embeddings"]


@dataclass(frozen=True)
class RequestShape:
    """How big the request is, for the record's features: counts, never text."""

    message_chars: int | None  # the last user message (chat), the one text (pii); None: no such message
    prompt_chars: int  # every text the request gives the model: the texts scanned
    turns: int | None  # user messages (chat only)

    @classmethod
    def of_text(cls, text: str) -> RequestShape:
        """A request of one text (/v1/pii/redact, /v1/pii/analyze)."""
        return cls(message_chars=len(text), prompt_chars=len(text), turns=None)


@dataclass(frozen=True)
class ParsedRequest:
    body: dict[str, Any]  # what may go upstream, before the policy's obligations
    model: str | None  # as the caller named it
    streamed: bool
    scans: list[Scan]
    erased: list[str]  # input paths dropped before forwarding (as OPA decision logs list them)
    shape: RequestShape
    # The text whose language is the request's: the last user message (chat), the inputs (embeddings).
    language_text: str


def parse_request(kind: ProxyKind, raw_body: bytes, limits: ScanLimits) -> ParsedRequest:
    raw = parse_json_object(raw_body)
    request: ChatRequest | EmbeddingsRequest
    if kind == "chat":
        request = parse_model(ChatRequest, raw)
        texts = chat_texts(request)
        streamed = request.stream
        users = [message for message in request.messages if message.role == "user"]
        last = _message_texts(users[-1]) if users else None
        shape = RequestShape(message_chars=sum(map(len, last)) if last is not None else None,
                             prompt_chars=sum(len(text) for _, text in texts), turns=len(users))
        language_text = "\n".join(last or ())
    else:
        request = parse_model(EmbeddingsRequest, raw)
        texts = embedding_texts(request)
        streamed = False
        shape = RequestShape(message_chars=None, prompt_chars=sum(len(text) for _, text in texts), turns=None)
        language_text = "\n".join(text for _, text in texts)
    limits.check(request, texts)
    body, erased = outgoing(raw)
    return ParsedRequest(body=body, model=request.model, streamed=streamed, scans=batch_texts(texts), erased=erased,
                         shape=shape, language_text=language_text)


def _message_texts(message: ChatMessage) -> list[str]:
    if isinstance(message.content, str):
        return [message.content]
    return [part.text for part in message.content or []]
