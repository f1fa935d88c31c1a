"""The request as the gateway reads it: JSON within bounds, then field by field, within the
scan budget; the body that may go upstream (unknown fields dropped) and the texts to scan
(short ones joined into batches, one detector pass each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway.locations import Scan, batch_texts
from gateway.openai_types import (
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
class ParsedRequest:
    body: dict[str, Any]  # what may go upstream, before the policy's obligations
    model: str | None  # as the caller named it
    streamed: bool
    scans: list[Scan]
    erased: list[str]  # input paths dropped before forwarding (as OPA decision logs list them)


def parse_request(kind: ProxyKind, raw_body: bytes, limits: ScanLimits) -> ParsedRequest:
    raw = parse_json_object(raw_body)
    request: ChatRequest | EmbeddingsRequest
    if kind == "chat":
        request = parse_model(ChatRequest, raw)
        texts = chat_texts(request)
        streamed = request.stream
    else:
        request = parse_model(EmbeddingsRequest, raw)
        texts = embedding_texts(request)
        streamed = False
    limits.check(request, texts)
    body, erased = outgoing(raw)
    return ParsedRequest(body=body, model=request.model, streamed=streamed, scans=batch_texts(texts), erased=erased)
