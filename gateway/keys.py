"""The gateway's two secrets: the HMAC key and the vault's encryption key.

From configuration in production (GOVGATE_HMAC_KEY, GOVGATE_VAULT_KEY). For a single node
with no configuration they are generated once and kept in the data folder, readable by the
owner only, so restarts keep customer pseudonyms and vault entries usable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr


class KeyedDigest:
    """HMAC-SHA256 of a text under one derived key, as hex: the one way the gateway turns an
    identifier or a value into something it may store or compare without the value itself."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str) -> str:
        # hmac.digest: the one-shot C path (same bytes as hmac.new(...).hexdigest(), a few times
        # faster; a bulk import computes millions).
        return hmac.digest(self._key, value.encode(), "sha256").hex()


def derive_key(master: bytes, purpose: str) -> bytes:
    """A separate key per use of the HMAC key, so one use's outputs never match another's
    (a hashed value sent upstream must not equal the customer pseudonym in the ledger)."""
    return hmac.new(master, f"govgate/{purpose}".encode(), hashlib.sha256).digest()


def hmac_key(configured: SecretStr | None, data_dir: Path) -> bytes:
    if configured is not None:
        return configured.get_secret_value().encode()
    return _kept(data_dir / "hmac.key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)))


def vault_key(configured: SecretStr | None, data_dir: Path) -> bytes:
    if configured is not None:
        key = configured.get_secret_value().encode()
        Fernet(key)  # a malformed key stops startup here, not on the first request
        return key
    return _kept(data_dir / "vault.key", Fernet.generate_key)


def _kept(path: Path, make) -> bytes:  # type: ignore[no-untyped-def]
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = make()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key
