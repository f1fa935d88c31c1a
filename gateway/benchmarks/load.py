"""`govgate bench`: the latency the gateway adds over a direct call, at a fixed request rate.

One run starts a demo upstream and a gateway (each its own process, real HTTP on loopback),
then sends the same chat request at `rps` per second, open loop, alternately straight to the
upstream and through the gateway, for `seconds`. Added latency is gateway minus direct, per
percentile, both measured in the same run under the same load.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from gateway.config import DEFAULT_RATE_LIMIT_PER_MINUTE, Settings

BENCH_MESSAGE = (
    "Hi, this is Maria Gonzalez. My card 4111 1111 1111 1111 was charged twice for order 55120 on "
    "the 3rd. Please refund one charge and confirm by e-mail to maria.gonzalez@example.com or call "
    "me on +1 415 555 0134. I have been a customer for six years and would like this fixed today."
)
WARMUP_REQUESTS = 30
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout_s: float = STARTUP_TIMEOUT_S, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout_s}s")


def peak_rss_mb(pid: int, *, include_children: bool = False) -> float:
    """Peak resident memory (VmHWM) of a process, summed over its children when asked."""
    pids = [pid]
    if include_children:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        pids += [int(child) for child in children.read_text().split()] if children.exists() else []
    total_kb = 0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return round(total_kb / 1024, 1)


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        value = values[0] if values else 0.0
        return {"p50": value, "p95": value, "p99": value}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3), "p99": round(cuts[98], 3)}


async def _load(*, gateway_url: str, direct_url: str, key: str, rps: int, seconds: float,
                stream: bool) -> tuple[list[float], list[float], int, int]:
    # Every request carries a different message (an order number), so no analysis cache helps.
    bodies = (
        {"model": "demo-chat", "stream": stream,
         "messages": [{"role": "user", "content": BENCH_MESSAGE.replace("55120", str(55120 + i))}]}
        for i in itertools.count()
    )
    gateway_headers = {"authorization": f"Bearer {key}", "x-purpose": "customer-support",
                       "x-customer-region": "US", "x-customer-id": "bench-customer",
                       "x-customer-attributes": "gender=female; age_band=35-44"}
    direct: list[float] = []
    through: list[float] = []
    errors = 0
    # aiohttp, not httpx, drives the load: httpx's pool slows down sharply with thousands of
    # queued requests, and then the client, not the gateway, sets the latency.
    connector = aiohttp.TCPConnector(limit=1000)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:

        async def one(url: str, headers: dict[str, str], into: list[float] | None) -> bool:
            body = next(bodies)
            start = time.perf_counter()
            try:
                async with client.post(url, json=body, headers=headers) as response:
                    if stream:
                        first = None
                        async for _ in response.content.iter_any():
                            first = first or time.perf_counter()
                        elapsed = ((first or time.perf_counter()) - start) * 1000
                    else:
                        await response.read()
                        elapsed = (time.perf_counter() - start) * 1000
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return False
            if ok and into is not None:
                into.append(elapsed)
            return ok

        for _ in range(WARMUP_REQUESTS):
            await one(direct_url, {}, None)
            await one(gateway_url, gateway_headers, None)

        tasks: list[asyncio.Task[bool]] = []
        interval = 1.0 / rps
        total = int(rps * seconds)
        start = time.perf_counter()
        for i in range(total):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            # Alternate, so both paths see the same moments of load.
            if i % 2 == 0:
                tasks.append(asyncio.create_task(one(direct_url, {}, direct)))
            tasks.append(asyncio.create_task(one(gateway_url, gateway_headers, through)))
        results = await asyncio.gather(*tasks)
        errors = sum(1 for ok in results if not ok)
    return direct, through, total, errors


def run_bench(*, mode: str, rps: int, seconds: float, stream: bool = False, workers: int = 1,
              policy_dir: Path | None = None) -> dict[str, Any]:
    policy_dir = policy_dir or Settings().policy_dir
    with tempfile.TemporaryDirectory(prefix="govgate-bench-") as tmp:
        workdir = Path(tmp)
        upstream_port, gateway_port = free_port(), free_port()
        upstream_url = f"http://127.0.0.1:{upstream_port}/v1"
        env = {**os.environ, "GOVGATE_DATA_DIR": str(workdir / "data"), "GOVGATE_POLICY_DIR": str(policy_dir),
               "GOVGATE_DEMO_UPSTREAM_URL": upstream_url,
               "GOVGATE_PORT": str(gateway_port), "GOVGATE_PIPELINE_MODE": mode,
               "GOVGATE_RATE_LIMIT_PER_MINUTE": str(max(DEFAULT_RATE_LIMIT_PER_MINUTE, rps * 120)), "GOVGATE_POLICY_WATCH": "false"}
        env.pop("GOVGATE_DATABASE_URL", None)
        cli = [sys.executable, "-m", "gateway.cli"]
        upstream = subprocess.Popen([*cli, "demo-upstream", "--port", str(upstream_port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gateway = None
        try:
            key = subprocess.run([*cli, "keys", "create", "--caller", "bench-bot", "--roles", "bot", "--json"],
                                 env=env, check=True, capture_output=True, text=True).stdout
            key = json.loads(key)["key"]
            gateway = subprocess.Popen([*cli, "serve", "--workers", str(workers)], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until_up(f"{upstream_url}/models", process=upstream)
            wait_until_up(f"http://127.0.0.1:{gateway_port}/healthz", process=gateway)
            direct, through, total, errors = asyncio.run(_load(
                gateway_url=f"http://127.0.0.1:{gateway_port}/v1/chat/completions",
                direct_url=f"{upstream_url}/chat/completions",
                key=key, rps=rps, seconds=seconds, stream=stream,
            ))
            rss = peak_rss_mb(gateway.pid, include_children=workers > 1)
        finally:
            for process in (gateway, upstream):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
    direct_q, gateway_q = percentiles(direct), percentiles(through)
    return {
        "mode": mode,
        "rps": rps,
        "stream": stream,
        "requests": total,
        "error_rate": round(errors / max(1, total + total // 2), 5),
        "added_ms": {k: round(gateway_q[k] - direct_q[k], 3) for k in gateway_q},
        "direct_ms": direct_q,
        "gateway_ms": gateway_q,
        "peak_rss_mb": rss,
        "workers": workers,
    }
