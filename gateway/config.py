"""Settings, read once from the environment (prefix GOVGATE_), and the named defaults.

Every default lives here as a constant; call sites read `settings.x`, never a literal.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from audits.request import AuditSchedule, unique_names
from gateway.policy.documents import UPSTREAM_KEY_ENV_PATTERN

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_DATA_DIR = Path(".govgate")
DEFAULT_POLICY_DIR = Path("policies")
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_UPSTREAM_TIMEOUT_S = 60.0
DEFAULT_UPSTREAM_CONNECT_TIMEOUT_S = 5.0
# Each call to a remote OPA server (GOVGATE_OPA_URL): a policy decision sits on every request.
DEFAULT_OPA_TIMEOUT_S = 1.5
DEFAULT_RATE_LIMIT_PER_MINUTE = 6000
DEFAULT_CALLER_CACHE_TTL_S = 5.0
DEFAULT_LEDGER_BATCH_MAX = 256
# An open stream whose process has not beaten its heartbeat for this long is an orphan, and
# any gateway process on the database records it as interrupted (docs/decision-record.md).
DEFAULT_STREAM_ORPHAN_AFTER_S = 30.0
DEFAULT_VAULT_TTL_S = 24 * 3600
DEFAULT_ANALYSIS_CACHE_SIZE = 10_000
# Work per request: PII detection costs ~20-40 µs per character (English-Chinese) plus a few
# milliseconds per separately scanned text; beyond these a request gets 413, unscanned.
DEFAULT_MAX_MESSAGES = 256
DEFAULT_MAX_SCAN_CHARS = 50_000
DEFAULT_DATABASE_BUSY_TIMEOUT_S = 2.0
DEFAULT_PREAUTH_FAILURES_PER_MINUTE = 30
DEFAULT_PII_API_MAX_CHARS = 100_000
DEFAULT_ANONYMOUS_RECORDS_PER_MINUTE = 5
# Decision records are kept this long before `govgate decisions purge` may delete them. The
# floor is six months: the EU AI Act requires logs of high-risk AI systems to be kept at least
# that long (Art. 19(1) for providers, Art. 26(6) for deployers), unless other law says more.
DEFAULT_RETENTION_DAYS = 365
MIN_RETENTION_DAYS = 183
# Audits (docs/operations.md, "Audits: API, schedule, webhook"): how often a runner looks for
# audits another process queued, how often it says it is alive, and when silence means dead.
DEFAULT_AUDIT_POLL_S = 30.0
DEFAULT_AUDIT_HEARTBEAT_S = 15.0
DEFAULT_AUDIT_STALE_AFTER_S = 300.0
# Webhook delivery: attempts, the first retry's wait (doubling up to the cap), one attempt's timeout.
DEFAULT_AUDIT_WEBHOOK_ATTEMPTS = 5
DEFAULT_AUDIT_WEBHOOK_BACKOFF_S = 2.0
DEFAULT_AUDIT_WEBHOOK_MAX_BACKOFF_S = 300.0
DEFAULT_AUDIT_WEBHOOK_TIMEOUT_S = 10.0
MIN_WEBHOOK_SECRET_CHARS = 16
# The console (docs/console.md): sign-in failures before a lock-out, the lock's length, and
# how long a session lives idle and at most.
DEFAULT_CONSOLE_MAX_FAILURES = 5
DEFAULT_CONSOLE_LOCKOUT_S = 15 * 60
DEFAULT_CONSOLE_IDLE_TIMEOUT_S = 30 * 60
DEFAULT_CONSOLE_MAX_AGE_S = 12 * 3600


class _Environment(EnvSettingsSource):
    """GOVGATE_* variables, read once; `upstream_keys` gathered from GOVGATE_UPSTREAM_KEY_*.

    The key names are open-ended (a deployment's `api_key_env` picks one, and a hot-reloaded
    policy may pick another), so no fixed field can name them: every such variable is read
    here, with the other settings, and never again. Empty values are left out, so a route
    whose variable is unset or empty is sent no key. `upstream_keys` given as an argument is
    taken as it is (not merged with the environment), and no single GOVGATE_UPSTREAM_KEYS
    variable stands in for them.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "upstream_keys":
            return None, field_name, False
        return super().get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        if "upstream_keys" not in self.current_state:
            pattern = re.compile(UPSTREAM_KEY_ENV_PATTERN)
            values["upstream_keys"] = {name: value for name, value in os.environ.items()
                                       if value and pattern.match(name)}
        return values


class Settings(BaseSettings):
    # Errors never quote what was given: the settings hold secrets (keys, the webhook secret).
    model_config = SettingsConfigDict(env_prefix="GOVGATE_", extra="ignore", hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The default order (arguments, then the environment), with the environment read by
        # _Environment so that it also gathers the upstream keys.
        return init_settings, _Environment(settings_cls), dotenv_settings, file_secret_settings

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    # None: a SQLite file inside data_dir.
    database_url: str | None = None
    policy_dir: Path = DEFAULT_POLICY_DIR
    # Set to use a remote OPA server (REST Data API) instead of the embedded engine.
    opa_url: str | None = None
    # Each call to that server; beyond it the request fails closed (503 policy_unavailable).
    opa_timeout_s: float = Field(default=DEFAULT_OPA_TIMEOUT_S, gt=0)
    # Where deployments whose base_url is `builtin:demo` are sent. None: the demo upstream
    # built into this process (served under /demo-upstream). Tests and benchmarks point it
    # at a demo upstream running as its own server (`govgate demo-upstream`).
    demo_upstream_url: str | None = None
    # A candidate policy folder evaluated beside the active one on live traffic; its
    # disagreements are recorded, never enforced (shadow mode).
    shadow_policy_dir: Path | None = None
    # Watch the policy folder and hot-reload good edits.
    policy_watch: bool = True
    # Keys for HMAC (customer ids, `hash` actions) and the vault's encryption (Fernet).
    # None: generated once and kept in data_dir (fine for a single node; set both in production).
    hmac_key: SecretStr | None = None
    vault_key: SecretStr | None = None
    # Upstream API keys by variable name (GOVGATE_UPSTREAM_KEY_*, see _Environment): read once
    # at startup; the upstream client looks a route's `api_key_env` up here, not in os.environ.
    upstream_keys: dict[str, SecretStr] = Field(default_factory=dict)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    upstream_timeout_s: float = DEFAULT_UPSTREAM_TIMEOUT_S
    upstream_connect_timeout_s: float = DEFAULT_UPSTREAM_CONNECT_TIMEOUT_S
    rate_limit_per_minute: int = Field(default=DEFAULT_RATE_LIMIT_PER_MINUTE, ge=1)
    caller_cache_ttl_s: float = DEFAULT_CALLER_CACHE_TTL_S
    ledger_batch_max: int = DEFAULT_LEDGER_BATCH_MAX
    # A stream journalled by a process silent (no heartbeat) this long is recorded as
    # interrupted by whichever process sees it first. Clocks of the processes sharing a
    # database must agree to well within it.
    stream_orphan_after_s: float = Field(default=DEFAULT_STREAM_ORPHAN_AFTER_S, gt=0, le=3600)
    vault_ttl_s: int = DEFAULT_VAULT_TTL_S
    analysis_cache_size: int = DEFAULT_ANALYSIS_CACHE_SIZE
    # Which stages run: "full" in production. "policy" skips PII detection and "passthrough"
    # also reuses earlier decisions; both exist so `govgate bench` can show what each stage
    # costs. Every decision records its mode, /v1/policies/status shows it, startup warns,
    # and production refuses any mode but "full".
    pipeline_mode: Literal["full", "policy", "passthrough"] = "full"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govgate.db').resolve()}"

    # Bounded work per request (413 beyond): messages in a chat request, and characters of all
    # the texts the gateway scans in one (messages, tool and schema texts, identifiers, stops).
    max_messages: int = Field(default=DEFAULT_MAX_MESSAGES, ge=1)
    max_scan_chars: int = Field(default=DEFAULT_MAX_SCAN_CHARS, ge=1)
    # --- the request surface (docs/operations.md, "Production mode" and "Limits") ---------
    # "production" turns the API docs off, never serves the in-process demo upstream and
    # refuses to start on unsafe defaults (generated keys, a benchmark pipeline mode).
    environment: Literal["development", "production"] = "development"
    # /docs, /redoc and /openapi.json. None: on in development, off in production.
    docs_enabled: bool | None = None
    # How long a database statement waits for a lock another connection holds (SQLite's
    # busy timeout, PostgreSQL's lock_timeout) before the write fails closed.
    database_busy_timeout_s: float = Field(default=DEFAULT_DATABASE_BUSY_TIMEOUT_S, gt=0, le=60)
    # Failed authentications per client address and minute; beyond, 429 before any lookup.
    preauth_failures_per_minute: int = Field(default=DEFAULT_PREAUTH_FAILURES_PER_MINUTE, ge=1)
    # Anonymous refusals (401, and 429 from the limit above) recorded one by one per client
    # address and minute; the rest of that minute's are counted into one aggregate record.
    anonymous_records_per_minute: int = Field(default=DEFAULT_ANONYMOUS_RECORDS_PER_MINUTE, ge=0)
    # Characters one /v1/pii/analyze or /v1/pii/redact request may carry; beyond, 413.
    pii_api_max_chars: int = Field(default=DEFAULT_PII_API_MAX_CHARS, ge=1)
    # How long decision records are kept (docs/operations.md, "Retention and purge"): a purge
    # of younger records is refused unless forced. Never below MIN_RETENTION_DAYS.
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=MIN_RETENTION_DAYS)
    # --- audits (docs/operations.md, "Audits: API, schedule, webhook") ----------------------
    # GOVGATE_AUDIT_SCHEDULES: a JSON list of {name, cron (five fields, UTC), window ("7d"),
    # attributes?, reference?}; checked here, so a bad schedule stops startup with its reason.
    audit_schedules: list[AuditSchedule] = Field(default_factory=list)
    # GOVGATE_AUDIT_CONFIG: a JSON object of audits/config.py's AuditConfig fields (thresholds,
    # resamples, seed) for audits this process queues; checked when the audit service opens.
    audit_config: dict[str, Any] = Field(default_factory=dict)
    # Whether the gateway process runs queued audits (a worker thread) and fires the schedules;
    # turn either off to leave it to `govgate audit schedule` running as its own process.
    audit_run_in_gateway: bool = True
    audit_schedule_in_gateway: bool = True
    audit_poll_s: float = Field(default=DEFAULT_AUDIT_POLL_S, gt=0, le=3600)
    audit_heartbeat_s: float = Field(default=DEFAULT_AUDIT_HEARTBEAT_S, gt=0, le=3600)
    audit_stale_after_s: float = Field(default=DEFAULT_AUDIT_STALE_AFTER_S, gt=0, le=86400)
    # Where an audit with confirmed findings is announced (a signed POST), and the shared secret.
    audit_webhook_url: str | None = None
    audit_webhook_secret: SecretStr | None = None
    audit_webhook_attempts: int = Field(default=DEFAULT_AUDIT_WEBHOOK_ATTEMPTS, ge=1, le=20)
    audit_webhook_backoff_s: float = Field(default=DEFAULT_AUDIT_WEBHOOK_BACKOFF_S, ge=0, le=3600)
    audit_webhook_max_backoff_s: float = Field(default=DEFAULT_AUDIT_WEBHOOK_MAX_BACKOFF_S, ge=0, le=86400)
    audit_webhook_timeout_s: float = Field(default=DEFAULT_AUDIT_WEBHOOK_TIMEOUT_S, gt=0, le=300)

    # --- the console (docs/console.md) --------------------------------------------------------
    console_enabled: bool = True
    console_max_failures: int = Field(default=DEFAULT_CONSOLE_MAX_FAILURES, ge=1, le=100)
    console_lockout_s: float = Field(default=DEFAULT_CONSOLE_LOCKOUT_S, gt=0, le=86400)
    console_idle_timeout_s: float = Field(default=DEFAULT_CONSOLE_IDLE_TIMEOUT_S, gt=0, le=86400)
    console_max_age_s: float = Field(default=DEFAULT_CONSOLE_MAX_AGE_S, gt=0, le=7 * 86400)
    # Session cookies are Secure when the request came over https; set true behind a TLS proxy
    # that forwards plain http, so the browser never sends the cookie in clear.
    console_secure_cookies: bool | None = None
    # The console's public origin behind a TLS proxy (e.g. https://govgate.example.com): forms
    # whose Origin is not this are refused. None: the origin the request itself shows.
    console_origin: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+$")
    # Prepared candidate policies the console may replay, one sub-folder each (optional).
    policy_candidates_dir: Path | None = None

    @field_validator("audit_schedules")
    @classmethod
    def _schedule_names(cls, schedules: list[AuditSchedule]) -> list[AuditSchedule]:
        return unique_names(schedules)

    @model_validator(mode="after")
    def _audit_settings(self) -> Settings:
        url, secret = self.audit_webhook_url, self.audit_webhook_secret
        if (url is None) != (secret is None):
            raise ValueError("GOVGATE_AUDIT_WEBHOOK_URL and GOVGATE_AUDIT_WEBHOOK_SECRET are set together "
                             "or not at all")
        if url is not None and not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url):
            raise ValueError("GOVGATE_AUDIT_WEBHOOK_URL must be an http:// or https:// URL")
        if secret is not None and len(secret.get_secret_value()) < MIN_WEBHOOK_SECRET_CHARS:
            raise ValueError(f"GOVGATE_AUDIT_WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET_CHARS} characters")
        if not self.audit_heartbeat_s * 2 < self.audit_stale_after_s:
            raise ValueError("GOVGATE_AUDIT_STALE_AFTER_S must be more than twice GOVGATE_AUDIT_HEARTBEAT_S")
        return self

    @property
    def serves_docs(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.environment == "development"

    def production_problems(self) -> list[str]:
        """Why this configuration must not serve in production (empty when it may)."""
        if self.environment != "production":
            return []
        problems = []
        if self.hmac_key is None:
            problems.append("GOVGATE_HMAC_KEY is not set (a generated key in the data folder is for one dev node)")
        if self.vault_key is None:
            problems.append("GOVGATE_VAULT_KEY is not set (a generated key in the data folder is for one dev node)")
        if self.pipeline_mode != "full":
            problems.append(f"GOVGATE_PIPELINE_MODE={self.pipeline_mode} turns governance stages off")
        if self.audit_webhook_url is not None and not self.audit_webhook_url.startswith("https://"):
            problems.append("GOVGATE_AUDIT_WEBHOOK_URL is not https (the findings would cross the network in clear)")
        return problems
