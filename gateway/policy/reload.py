"""The active policy, and how a new one becomes active.

``PolicyHolder`` owns the engine the gateway evaluates with. ``reload()`` loads the policy
directory into a candidate bundle (schema checks, forbidden builtins, package layout),
builds the candidate engine, runs the bundle's Rego tests on it and a warm-up decision,
and swaps it in only when all of that passes. A failed reload leaves the active engine in
place and records the error (shown by /readyz and GET /v1/policies/status). ``watch()``
reloads after edits in the directory (watchfiles; inotify or polling).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import watchfiles

from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import PolicyEngine, build_engine
from gateway.policy.errors import PolicyError, PolicyLoadError
from gateway.policy.install import copy_policy
from gateway.policy.testing import format_results, run_policy_tests

DEFAULT_DEBOUNCE_MS = 300
DEFAULT_POLL_DELAY_MS = 1000
MAX_HISTORY = 50

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Activation:
    bundle_hash: str
    activated_at: str  # ISO 8601, UTC
    source: str  # startup | watch | api | cli | ...

    def as_dict(self) -> dict[str, str]:
        return {"bundle_hash": self.bundle_hash, "activated_at": self.activated_at, "source": self.source}


@dataclass(frozen=True)
class ReloadError:
    at: str
    source: str
    message: str


class PolicyHolder:
    """Thread-safe holder of the active policy engine.

    ``engine`` is read without a lock (one attribute read); swaps and reloads are
    serialised so two reloads never race.
    """

    def __init__(
        self,
        policy_dir: str | Path,
        *,
        engine: str = "regorus",
        test_engine: str | None = None,
        clock: Clock = _utcnow,
        on_activate: Callable[[Activation], None] | None = None,
    ) -> None:
        self.policy_dir = Path(policy_dir)
        self.engine_name = engine
        self.test_engine = test_engine or engine
        self._clock = clock
        # Told of each activation, e.g. to keep the version history in the database.
        self._on_activate = on_activate
        self._lock = threading.Lock()
        self._engine: PolicyEngine | None = None
        self._bundle: PolicyBundle | None = None
        self._history: list[Activation] = []
        self._last_error: ReloadError | None = None

    # -- reading ------------------------------------------------------------------------

    @property
    def engine(self) -> PolicyEngine:
        engine = self._engine
        if engine is None:
            raise PolicyLoadError("no policy is active")
        return engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    @property
    def bundle_hash(self) -> str | None:
        return self._engine.bundle_hash if self._engine is not None else None

    @property
    def history(self) -> list[dict[str, str]]:
        return [a.as_dict() for a in self._history]

    @property
    def last_error(self) -> str | None:
        return self._last_error.message if self._last_error else None

    def status(self) -> dict[str, Any]:
        err = self._last_error
        return {
            "ready": self.ready,
            "policy_dir": str(self.policy_dir),
            "engine": self.engine_name,
            "bundle_hash": self.bundle_hash,
            "activated_at": self._history[-1].activated_at if self._history else None,
            "history": self.history,
            "last_error": None if err is None else {"at": err.at, "source": err.source, "message": err.message},
        }

    # -- changing -----------------------------------------------------------------------

    def reload(self, source: str = "api") -> bool:
        """Try to activate the directory's current content. True when a new bundle went live.

        Returns False (and keeps the active engine) when the content is unchanged or when
        any check fails; the failure is kept in ``last_error``. Raises nothing for a bad
        policy: an edit must never take the gateway down.
        """
        with self._lock:
            return self._reload_locked(source)

    def _reload_locked(self, source: str) -> bool:
        """reload()'s work; the caller holds the lock."""
        try:
            bundle = PolicyBundle.load(self.policy_dir)
            unchanged = bundle.bundle_hash == self.bundle_hash
            if unchanged and not self._tests_changed(bundle):
                self._last_error = None
                return False
            report = run_policy_tests(self.policy_dir, self.test_engine, bundle=bundle)
            if not report.ok:
                raise PolicyLoadError("policy tests failed:\n" + format_results(report, verbose=False))
            if unchanged:  # only the tests changed, and they pass: nothing to swap
                self._bundle, self._last_error = bundle, None
                return False
            candidate = build_engine(bundle, self.engine_name)
        except PolicyError as exc:
            self._last_error = ReloadError(at=self._now(), source=source, message=str(exc))
            return False
        self._activate(candidate, bundle, source)
        return True

    def install(self, candidate: Path, *, backup: Path, source: str) -> str | None:
        """Write the candidate's policy files into the folder and activate them, holding the
        reload lock throughout, so neither the watcher nor another install sees a half-written
        folder. None when the candidate's bundle is active; else why not, with the folder's
        previous files put back (also when writing fails part way)."""
        expected = PolicyBundle.load(candidate).bundle_hash
        with self._lock:
            copy_policy(self.policy_dir, backup)
            try:
                copy_policy(candidate, self.policy_dir)
                if self._reload_locked(source) or self.bundle_hash == expected:
                    return None if self.bundle_hash == expected else "another policy became active"
                why = self._last_error.message if self._last_error else "the policy folder did not take it"
            except OSError as exc:
                why = f"the policy folder could not be written: {type(exc).__name__}"
            copy_policy(backup, self.policy_dir)
            self._reload_locked("rollback")
            return why

    def activate(self, engine: PolicyEngine, source: str) -> None:
        """Make an already built engine active (e.g. a remote OPA engine)."""
        with self._lock:
            self._activate(engine, None, source)

    async def watch(
        self,
        stop_event: asyncio.Event | None = None,
        *,
        force_polling: bool | None = None,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
    ) -> None:
        """Reload after each burst of edits until ``stop_event`` is set (or cancelled).

        watchfiles uses inotify where it can; ``force_polling=True`` polls every second
        (network file systems, containers with bind mounts).
        """
        async for _changes in watchfiles.awatch(
            self.policy_dir,
            stop_event=stop_event,
            force_polling=force_polling,
            poll_delay_ms=DEFAULT_POLL_DELAY_MS,
            debounce=debounce_ms,
            step=50,
            watch_filter=_policy_files,
        ):
            await asyncio.to_thread(self.reload, "watch")

    # -- internals ----------------------------------------------------------------------

    def _activate(self, engine: PolicyEngine, bundle: PolicyBundle | None, source: str) -> None:
        self._engine = engine
        self._bundle = bundle
        self._last_error = None
        activation = Activation(engine.bundle_hash, self._now(), source)
        self._history.append(activation)
        del self._history[:-MAX_HISTORY]
        if self._on_activate is not None:
            self._on_activate(activation)

    def _tests_changed(self, bundle: PolicyBundle) -> bool:
        return self._bundle is None or self._bundle.tests != bundle.tests

    def _now(self) -> str:
        return self._clock().isoformat()


def _policy_files(change: watchfiles.Change, path: str) -> bool:
    return path.endswith((".rego", ".json"))
