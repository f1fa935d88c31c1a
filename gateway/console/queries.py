"""What the console's pages show, read through the same doors the API reads: the
DecisionLog, the explainer, the AuditLog, the PolicyHolder and the policy store.

Each function blocks (database reads, policy tests) and returns typed data; pages.py
renders it and api.py serves it as JSON, so a page and its JSON route show the same thing.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from audits.report import AuditReport
from explainers.decision import explain
from gateway.api.decisions import STORED_REGION, STORED_WORD
from gateway.console.candidates import reviewed
from gateway.console.overview import Overview, summarise
from gateway.console.texts import Lang
from gateway.decision import DecisionRecord
from gateway.api.audits import AUDIT_ROLES
from gateway.errors import BadRequest, Forbidden
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import build_engine
from gateway.policy.errors import PolicyError
from gateway.policy.replay import ReplayReport, replay
from gateway.policy.testing import run_policy_tests
from gateway.services import Services
from gateway.store.audits import StoredAudit
from gateway.store.console import ConsoleStore, EventInfo
from gateway.store.decision_log import DecisionFilter, DecisionLog, as_utc
from gateway.store.policy_versions import list_versions

OVERVIEW_WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
                    "30d": timedelta(days=30)}
OVERVIEW_LIMIT = 20_000
DECISIONS_PAGE = 50
REPLAY_WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
                  "30d": timedelta(days=30)}
REPLAY_LIMIT = 50_000
SAMPLE_SIZE = 20
ACTIVITY_PAGE = 100
# How long a replay counts as the review an activation needs.
REVIEW_MAX_AGE = timedelta(hours=24)

Word = Annotated[str, StringConstraints(pattern=STORED_WORD)]
Pair = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._:-]{0,63}=[^=\x00-\x1f\x7f]{1,128}$")]


class DecisionQuery(BaseModel):
    """The decisions page's filters, as the form sends them (blank fields are left out)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: datetime | None = None
    until: datetime | None = None
    caller: Annotated[str, StringConstraints(min_length=1, max_length=128,
                                             pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    purpose: Word | None = None
    region: Annotated[str, StringConstraints(pattern=STORED_REGION)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,8}$")] | None = None
    channel: Word | None = None
    status_code: Annotated[int, Field(ge=100, le=599)] | None = None
    allowed: bool | None = None
    entity_type: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")] | None = None
    outcome: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_:-]{0,63}$")] | None = None
    attribute: list[Pair] = Field(default_factory=list, max_length=4)
    before_seq: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None

    @classmethod
    def parse(cls, params: list[tuple[str, str]]) -> DecisionQuery:
        return _parsed(cls, params, repeatable=("attribute",))

    def where(self) -> DecisionFilter:
        pairs = tuple(tuple(p.split("=", 1)) for p in self.attribute)
        return DecisionFilter(caller=self.caller, purpose=self.purpose, region=self.region, language=self.language,
                              channel=self.channel, status_code=self.status_code, allowed=self.allowed,
                              entity_type=self.entity_type, outcome=self.outcome,
                              attributes=pairs or None)  # type: ignore[arg-type]

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        def utc(moment: datetime | None, name: str) -> datetime | None:
            try:
                return as_utc(moment) if moment is not None else None
            except OverflowError:
                raise BadRequest(f"{name} is outside the range of dates", param=name) from None
        return utc(self.since, "since"), utc(self.until, "until")

    def link(self, **changes: Any) -> str:
        """This query as a URL's query string, with some filters changed (for paging)."""
        fields = {**self.model_dump(exclude_none=True, exclude={"attribute"}), **changes}
        params = [(k, v.isoformat() if isinstance(v, datetime) else str(v).lower() if isinstance(v, bool) else v)
                  for k, v in fields.items() if v is not None]
        params += [("attribute", a) for a in self.attribute]
        return urlencode(params)


def _parsed(model: Any, params: list[tuple[str, str]], *, repeatable: tuple[str, ...] = ()) -> Any:
    """A query string as `model`: blank fields left out, a name given twice refused unless it
    is repeatable, and every refusal a 400 that names the field and never repeats the value."""
    values: dict[str, Any] = {}
    for name, value in params:
        if value == "":
            continue
        if name in repeatable:
            values.setdefault(name, []).append(value)
        elif name in values:
            raise BadRequest(f"{name} is given twice", param=name)
        else:
            values[name] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = str(first["loc"][0]) if first["loc"] else None
        if first["type"] == "extra_forbidden":
            raise BadRequest("unknown filter", code="unknown_parameter", param=where) from None
        # pydantic states the rule, never the value.
        raise BadRequest(f"invalid value for {where}: {first['msg']}", param=where) from None


def newest(log: DecisionLog, *, since: datetime | None, until: datetime | None = None,
           where: DecisionFilter = DecisionFilter()) -> Iterator[DecisionRecord]:
    """Records of a window, newest first, a page at a time (the caller stops when it has enough)."""
    before: int | None = None
    while True:
        page = log.page(where=where, since=since, until=until, before_seq=before, limit=500)
        yield from page
        if len(page) < 500:
            return
        before = page[-1].seq


def overview(state: Services, window: str) -> Overview:
    since = datetime.now(UTC) - OVERVIEW_WINDOWS[window]
    return summarise(newest(state.decision_log, since=since), limit=OVERVIEW_LIMIT)


class DecisionPage(BaseModel):
    records: list[DecisionRecord]
    next_before_seq: int | None


def decisions(state: Services, query: DecisionQuery, *, role: str) -> DecisionPage:
    """`role`: audit attributes (customer groups) are a filter for the audit roles only, as on the API."""
    if query.attribute and role not in AUDIT_ROLES:
        raise Forbidden("filtering by customer attributes is for the roles that run bias audits",
                        code="insufficient_role")
    since, until = query.bounds()
    found = state.decision_log.page(where=query.where(), since=since, until=until, before_seq=query.before_seq,
                                    limit=DECISIONS_PAGE + 1)
    shown = found[:DECISIONS_PAGE]
    return DecisionPage(records=shown, next_before_seq=shown[-1].seq if len(found) > DECISIONS_PAGE else None)


def decision(state: Services, decision_id: str, lang: Lang) -> dict[str, Any] | None:
    record = state.decision_log.get(decision_id)
    if record is None:
        return None
    document = explain(state.decision_log, record, lang=lang)
    return {"record": record, "explanation": document}


class AuditView(BaseModel):
    audit: StoredAudit
    report: AuditReport | None
    previous: AuditReport | None
    sample_links: dict[int, str]  # finding index -> the decisions page's query for its group


def audit(state: Services, audit_id: str) -> AuditView | None:
    stored = state.audits.audits.get(audit_id)
    if stored is None:
        return None
    report = previous = None
    if stored.report_text is not None and stored.report_verified:
        report = AuditReport.model_validate_json(stored.report_text)
        earlier = state.audits.audits.previous_report(trigger=stored.trigger, before_seq=stored.seq)
        previous = AuditReport.model_validate_json(earlier) if earlier else None
    links: dict[int, str] = {}
    if report is not None:
        for index, finding in enumerate(report.findings):
            keys, groups = finding.attribute.split("×"), finding.group.split(" × ")
            if len(keys) != len(groups):
                continue
            query = DecisionQuery(since=stored.since, until=stored.until,
                                  attribute=[f"{k}={g}" for k, g in zip(keys, groups, strict=True)])
            links[index] = query.link()
    return AuditView(audit=stored, report=report, previous=previous, sample_links=links)


class PolicyView(BaseModel):
    status: dict[str, Any]
    files: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    tests: dict[str, Any] | None
    load_error: str | None = None


def policies(state: Services, test_reports: Any) -> PolicyView:
    status = state.policy.status()
    versions = [v.model_dump(mode="json") for v in list_versions(state.database, limit=50)]
    try:
        bundle = PolicyBundle.load(state.settings.policy_dir)
    except PolicyError as exc:  # a broken folder is shown, not a 500: the active policy stays
        return PolicyView(status=status, files=[], versions=versions, tests=None, load_error=str(exc)[:500])
    files = [{"path": path, "bytes": (bundle.root / path).stat().st_size} for path in bundle.files]
    report = test_reports.get(bundle.bundle_hash)
    if report is None:
        report = run_policy_tests(bundle.root, bundle=bundle)
        test_reports[bundle.bundle_hash] = report
    tests = {"engine": report.engine, "bundle_hash": report.bundle_hash, "passed": report.passed,
             "failed": report.failed, "errored": report.errored, "ok": report.ok,
             "results": [{"path": r.path, "outcome": r.outcome, "error": r.error} for r in report.results
                         if r.outcome != "PASS"]}
    return PolicyView(status=status, files=files, versions=versions, tests=tests)


def policy_file(state: Services, path: str) -> str | None:
    bundle = PolicyBundle.load(state.settings.policy_dir)
    if path not in bundle.files:
        return None
    return (bundle.root / path).read_text(encoding="utf-8")


class CandidateReview(BaseModel):
    """A proposed policy, reviewed: what it would change and whether its own tests pass."""

    report: ReplayReport
    bundle_hash: str
    files_hash: str  # of every policy file, tests included: what an activation will install
    tests_passed: int
    tests_failed: int
    activatable: bool  # tests pass, it is not the active policy, and the policy is local (not remote OPA)


def replay_candidate(state: Services, candidate_dir: Path, files_hash: str, window: str) -> CandidateReview:
    """Re-decide recent traffic under the candidate and run its Rego tests (nothing is activated)."""
    bundle = PolicyBundle.load(candidate_dir)
    candidate = build_engine(bundle)
    since = datetime.now(UTC) - REPLAY_WINDOWS[window]
    decided = itertools.islice(state.decision_log.policy_decisions(since=since), REPLAY_LIMIT)
    report = replay(decided, candidate)
    tests = run_policy_tests(bundle.root, bundle=bundle)
    return CandidateReview(report=report, bundle_hash=bundle.bundle_hash, files_hash=files_hash,
                           tests_passed=tests.passed, tests_failed=tests.failed + tests.errored,
                           activatable=tests.ok and bundle.bundle_hash != state.policy.bundle_hash
                           and not state.settings.opa_url)


def activate_candidate(state: Services, store: ConsoleStore, reviews: Path, files_hash: str, *,
                       username: str) -> tuple[str | None, str | None]:
    """Install a candidate replayed within REVIEW_MAX_AGE into the policy folder and activate
    it: (its bundle hash, None) when it is active, else (bundle hash or None, why not)."""
    if state.settings.opa_url:
        return None, "the policy is evaluated on a remote OPA server: activate it there"
    candidate_dir = reviewed(reviews, files_hash)
    since = datetime.now(UTC) - REVIEW_MAX_AGE
    if not any(e.detail.get("files_hash") == files_hash and e.at >= since
               for e in store.events(action="policy_replayed", limit=1000)):
        return None, "this candidate was not replayed in the last 24 hours: replay it first"
    bundle_hash = PolicyBundle.load(candidate_dir).bundle_hash
    if bundle_hash == state.policy.bundle_hash:
        return bundle_hash, "this policy is already active"
    backup = Path(tempfile.mkdtemp(prefix=".backup-", dir=reviews))
    try:
        why = state.policy.install(candidate_dir, backup=backup, source=f"console:{username}")
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    return bundle_hash, why


def as_json(value: Any) -> Any:
    return json.loads(value.model_dump_json()) if isinstance(value, BaseModel) else value


class ActivityQuery(BaseModel):
    """The activity page's filters: an action, a user, and where the page starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = None
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9()][a-z0-9._()-]{1,63}$")] | None = None
    before_seq: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None

    @classmethod
    def parse(cls, params: list[tuple[str, str]]) -> ActivityQuery:
        return _parsed(cls, params)

    def link(self, **changes: Any) -> str:
        return urlencode({k: v for k, v in {**self.model_dump(), **changes}.items() if v is not None})


class ActivityPage(BaseModel):
    events: list[EventInfo]
    next_before_seq: int | None


def activity(store: ConsoleStore, query: ActivityQuery) -> ActivityPage:
    found = store.events(limit=ACTIVITY_PAGE + 1, action=query.action, username=query.username,
                         before_seq=query.before_seq)
    shown = found[:ACTIVITY_PAGE]
    return ActivityPage(events=shown, next_before_seq=shown[-1].seq if len(found) > ACTIVITY_PAGE else None)


def pretty_record(record: DecisionRecord) -> str:
    """The record as stored, indented for reading (it holds no raw PII by construction)."""
    return json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False)
