"""Everything a running gateway holds, built once at startup and closed at shutdown.

`open_services(settings)` is the only place that constructs the parts and hands each its
collaborators; routers reach them through `app.state.services`. Nothing here is global.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from audits.service import AuditService, AuditSettingsError, open_audit_service
from gateway import keys
from gateway.anonymous import AnonymousRefusals
from gateway.auth import Authenticator, PreAuthLimiter
from gateway.benchmarks.modes import NoPiiDetection, RememberedDecisions
from gateway.config import Settings
from gateway.console.auth import ConsoleAuth
from gateway.console.web import Console
from gateway.openai_types import ScanLimits
from gateway.pii.actions import ActionApplier
from gateway.pii.detector import PiiDetector
from gateway.pii.engine import PiiEngine, build_pii_engine
from gateway.pii.vault import PseudonymVault
from gateway.pipeline import Pipeline
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import RemoteOpaPolicyEngine, build_engine
from gateway.policy.errors import PolicyError
from gateway.policy.reload import PolicyHolder
from gateway.policy.replay import ShadowEvaluator
from gateway.ratelimit import RateLimiter
from gateway.stages.admission import Admission
from gateway.stages.detection import PiiDetection
from gateway.stages.policy import PolicyGate
from gateway.stages.recording import Recorder
from gateway.store.checkpoint import CHECKPOINT_KEY_PURPOSE
from gateway.store.console import ConsoleStore
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from gateway.store.keys import KeyStore
from gateway.store.ledger import DecisionLedger
from gateway.store.outcomes import OutcomeStore
from gateway.store.policy_versions import record_activation
from gateway.store.vault import VaultStore
from gateway.upstream.client import BUILTIN_DEMO, UpstreamClient

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database: Engine
    authenticator: Authenticator
    pii_engine: PiiEngine
    detector: PiiDetector
    applier: ActionApplier
    vault: PseudonymVault
    policy: PolicyHolder
    upstream: UpstreamClient
    ledger: DecisionLedger
    pipeline: Pipeline
    # The one way to read the ledger and its outcomes; the outcome chain's writer.
    decision_log: DecisionLog
    outcomes: OutcomeStore
    # The keyed HMAC the ledger stores conversation ids as (outcomes look conversations up by it),
    # and the one outcome ids are stored as.
    ledger_digest: keys.KeyedDigest
    outcome_digest: keys.KeyedDigest
    # POST /v1/outcomes, per reporting caller: a window of its own (reports do not spend a
    # bot's model-call allowance, nor calls its reports'), sized like the proxy's.
    outcome_limiter: RateLimiter
    # Stored audits: their store and reader, the worker thread, schedules and webhook (audits/service.py).
    audits: AuditService
    # The compliance console's sign-in, sessions and page parts (gateway/console/); None when off.
    console: Console | None = None
    # Set when the in-process demo upstream is to be served (app.py mounts it): the secret
    # its requests must carry.
    builtin_demo_secret: str | None = None


VAULT_PURGE_INTERVAL_S = 300.0
ANONYMOUS_FLUSH_INTERVAL_S = 5.0


async def _flush_anonymous_periodically(pipeline: Pipeline) -> None:
    """Aggregate records of anonymous refusals join the ledger once their window ends."""
    while True:
        await asyncio.sleep(ANONYMOUS_FLUSH_INTERVAL_S)
        await pipeline.flush_anonymous()


async def _purge_vault_periodically(vault: PseudonymVault) -> None:
    """Pseudonym values expire with their conversation: delete them from the database."""
    while True:
        await asyncio.sleep(VAULT_PURGE_INTERVAL_S)
        try:
            purged = await asyncio.to_thread(vault.purge_expired)
        except SQLAlchemyError as exc:
            log.error("vault purge failed: %s", type(exc).__name__)
            continue
        if purged:
            log.info("purged %d expired pseudonyms", purged)


class StartupError(RuntimeError):
    """The gateway cannot start safely (e.g. no valid policy): it refuses to serve."""


def open_policy(settings: Settings, database: Engine) -> PolicyHolder:
    """The active policy: the policy folder on the embedded engine, or a remote OPA server."""
    holder = PolicyHolder(settings.policy_dir, on_activate=lambda a: record_activation(database, a))
    if settings.opa_url:
        holder.activate(RemoteOpaPolicyEngine(settings.opa_url, timeout_s=settings.opa_timeout_s), source="startup")
        return holder
    holder.reload(source="startup")
    if not holder.ready:
        raise StartupError(f"no valid policy in {settings.policy_dir}: {holder.last_error}")
    return holder


def open_shadow(settings: Settings) -> ShadowEvaluator | None:
    if settings.shadow_policy_dir is None:
        return None
    try:
        return ShadowEvaluator(build_engine(PolicyBundle.load(settings.shadow_policy_dir)))
    except PolicyError as exc:
        raise StartupError(f"the shadow policy in {settings.shadow_policy_dir} does not load: {exc}") from None


def open_console(settings: Settings, database: Engine) -> Console | None:
    if not settings.console_enabled:
        return None
    return Console(auth=ConsoleAuth.from_settings(settings, ConsoleStore(database)), candidates_dir=settings.policy_candidates_dir,
                   uploads_dir=settings.data_dir / "policy-candidates",
                   secure_cookies=settings.console_secure_cookies, origin=settings.console_origin)


def uses_builtin_demo(settings: Settings) -> bool:
    """Whether a deployment of the local policy sends to `builtin:demo` (decided at startup)."""
    if settings.opa_url:
        return False  # the deployments live on the OPA server; use GOVGATE_DEMO_UPSTREAM_URL
    try:
        deployments = PolicyBundle.load(settings.policy_dir).data.get("deployments", {})
    except PolicyError:
        return False
    return isinstance(deployments, dict) and any(
        isinstance(d, dict) and d.get("base_url") == BUILTIN_DEMO for d in deployments.values())


def _pipeline(settings: Settings, *, authenticator: Authenticator, detector: PiiDetector, analyzer: PiiEngine,
              policy: PolicyHolder, applier: ActionApplier, vault: PseudonymVault, upstream: UpstreamClient,
              ledger: DecisionLedger, digest: keys.KeyedDigest, shadow: ShadowEvaluator | None) -> Pipeline:
    """The request path's stages, wired; the benchmark modes swap in their switches here."""
    mode = settings.pipeline_mode
    detection = PiiDetection(detector, analyzer=analyzer) if mode == "full" else NoPiiDetection(detector,
                                                                                                  analyzer=analyzer)
    gate = PolicyGate(policy=RememberedDecisions(policy) if mode == "passthrough" else policy, digest=digest,
                      shadow=shadow)
    admission = Admission(authenticator=authenticator, rate_limiter=RateLimiter(settings.rate_limit_per_minute),
                          vocabulary=gate.vocabulary, digest=digest, detection=detection)
    recorder = Recorder(ledger=ledger, vault=vault, digest=digest, pipeline_mode=mode,
                        anonymous=AnonymousRefusals(individual=settings.anonymous_records_per_minute))
    return Pipeline(admission=admission, detection=detection, policy=gate, applier=applier, vault=vault,
                    upstream=upstream, recorder=recorder,
                    scan_limits=ScanLimits(max_messages=settings.max_messages, max_scan_chars=settings.max_scan_chars),
                    pii_api_max_chars=settings.pii_api_max_chars)


@contextlib.asynccontextmanager
async def open_services(settings: Settings, *, builtin_demo_url: str | None,
                        pii_engine: PiiEngine | None = None) -> AsyncIterator[Services]:
    """`builtin_demo_url`: where the in-process demo upstream would answer, None when it may
    not be served (production, or an external GOVGATE_DEMO_UPSTREAM_URL)."""
    if problems := settings.production_problems():
        raise StartupError("GOVGATE_ENVIRONMENT=production refuses: " + "; ".join(problems))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.pipeline_mode != "full":
        log.warning("GOVGATE_PIPELINE_MODE=%s: PII detection%s is OFF (a benchmark mode, never production)",
                    settings.pipeline_mode, "" if settings.pipeline_mode == "policy" else " and the policy")
    database = make_engine(settings.effective_database_url, busy_timeout_s=settings.database_busy_timeout_s)
    await asyncio.to_thread(migrate, database)
    hmac_key = keys.hmac_key(settings.hmac_key, settings.data_dir)
    vault_key = keys.vault_key(settings.vault_key, settings.data_dir)
    decision_log = DecisionLog(database, checkpoint_digest=keys.KeyedDigest(
        keys.derive_key(hmac_key, CHECKPOINT_KEY_PURPOSE)))
    try:
        # Built (and its settings checked) before anything starts; started with the tasks below.
        audit_service = open_audit_service(settings, database, decision_log, run=settings.audit_run_in_gateway,
                                           schedule=settings.audit_schedule_in_gateway)
    except AuditSettingsError as exc:
        raise StartupError(str(exc)) from None

    # Models take seconds to load; a test session may pass one engine to many apps.
    pii_engine = pii_engine or await asyncio.to_thread(build_pii_engine)
    policy = await asyncio.to_thread(open_policy, settings, database)
    demo_url, demo_secret = settings.demo_upstream_url, None
    if demo_url is None and builtin_demo_url is not None and await asyncio.to_thread(uses_builtin_demo, settings):
        # The same secret in every worker process of this gateway (they share the HMAC key),
        # and in none outside it: only this gateway's upstream client can reach the demo.
        demo_url = builtin_demo_url
        demo_secret = base64.urlsafe_b64encode(keys.derive_key(hmac_key, "demo-upstream")).decode()
    upstream = UpstreamClient(
        timeout=httpx.Timeout(settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s),
        builtin_demo_url=demo_url, builtin_demo_secret=demo_secret,
        api_keys={name: key.get_secret_value() for name, key in settings.upstream_keys.items()},
    )
    ledger = DecisionLedger(database, batch_max=settings.ledger_batch_max,
                            orphan_after_s=settings.stream_orphan_after_s)
    await ledger.start()
    authenticator = Authenticator(KeyStore(database), cache_ttl_s=settings.caller_cache_ttl_s,
                                  preauth=PreAuthLimiter(settings.preauth_failures_per_minute))
    detector = PiiDetector(pii_engine, cache_size=settings.analysis_cache_size)
    applier = ActionApplier(digest=keys.KeyedDigest(keys.derive_key(hmac_key, "hash-action")))
    vault = PseudonymVault(rows=VaultStore(database), fernet_key=vault_key,
                           digest=keys.KeyedDigest(keys.derive_key(hmac_key, "vault")),
                           ttl_s=settings.vault_ttl_s)
    ledger_digest = keys.KeyedDigest(keys.derive_key(hmac_key, "ledger"))
    pipeline = _pipeline(settings, authenticator=authenticator, detector=detector, analyzer=pii_engine, policy=policy,
                         applier=applier, vault=vault, upstream=upstream, ledger=ledger, digest=ledger_digest,
                         shadow=await asyncio.to_thread(open_shadow, settings))
    watch = settings.policy_watch and not settings.opa_url
    watcher = asyncio.create_task(policy.watch(), name="policy-watch") if watch else None
    purger = asyncio.create_task(_purge_vault_periodically(vault), name="vault-purge")
    flusher = asyncio.create_task(_flush_anonymous_periodically(pipeline), name="anonymous-flush")
    audit_service.start()
    try:
        yield Services(settings=settings, database=database, authenticator=authenticator, pii_engine=pii_engine,
                       detector=detector, applier=applier, vault=vault, policy=policy, upstream=upstream,
                       ledger=ledger, pipeline=pipeline, decision_log=decision_log,
                       outcomes=OutcomeStore(database), ledger_digest=ledger_digest,
                       outcome_digest=keys.KeyedDigest(keys.derive_key(hmac_key, "outcome-id")),
                       outcome_limiter=RateLimiter(settings.rate_limit_per_minute), audits=audit_service,
                       console=await asyncio.to_thread(open_console, settings, database),
                       builtin_demo_secret=demo_secret)
    finally:
        for task in (watcher, purger, flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.to_thread(audit_service.close)
        await pipeline.flush_anonymous(everything=True)
        await ledger.close()
        await upstream.aclose()
        database.dispose()
