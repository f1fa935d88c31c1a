"""Loopback networking for tests: the one place the suite asks the OS for a free port.

The benchmarks keep their own helper (gateway.benchmarks.load); tests do not import product code
for plumbing of their own.
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
