"""SSE parsing is independent of how the bytes are chunked."""

from __future__ import annotations

import asyncio

from gateway.upstream.sse import encode_event, iter_sse_data

STREAM = encode_event({"a": 1}) + encode_event({"b": "x\ny"}) + b"data: [DONE]\r\n\r\n"


async def _collect(chunks: list[bytes]) -> list[str]:
    async def source():  # type: ignore[no-untyped-def]
        for chunk in chunks:
            yield chunk

    return [data async for data in iter_sse_data(source())]


def test_any_chunking_gives_the_same_events() -> None:
    whole = asyncio.run(_collect([STREAM]))
    assert whole == ['{"a":1}', '{"b":"x\\ny"}', "[DONE]"]
    for size in range(1, 12):
        chunks = [STREAM[i:i + size] for i in range(0, len(STREAM), size)]
        assert asyncio.run(_collect(chunks)) == whole
