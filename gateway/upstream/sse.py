"""Server-sent events as OpenAI streams them: `data: {json}\n\n`, ending with `data: [DONE]`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

DONE = "[DONE]"


async def iter_sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Yield the `data:` payload of each event, whatever the byte chunking upstream chose."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while True:
            end = _event_end(buffer)
            if end is None:
                break
            raw, buffer = buffer[: end[0]], buffer[end[1]:]
            data = _data_of(raw.decode("utf-8"))
            if data is not None:
                yield data
    if buffer.strip():
        data = _data_of(buffer.decode("utf-8"))
        if data is not None:
            yield data


def _event_end(buffer: bytes) -> tuple[int, int] | None:
    found = [(index, index + len(sep)) for sep in (b"\r\n\r\n", b"\n\n", b"\r\r")
             if (index := buffer.find(sep)) != -1]
    return min(found) if found else None


def _data_of(event: str) -> str | None:
    lines = [line[5:].lstrip(" ") for line in event.splitlines() if line.startswith("data:")]
    return "\n".join(lines) if lines else None


def encode_event(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()
