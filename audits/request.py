"""What an audit is asked for: the body of POST /v1/audits, and one schedule of
GOVGATE_AUDIT_SCHEDULES. Both are checked here, before anything runs or is stored.

Attribute names and groups have the shapes the decision record stores them in (gateway/customer.py,
gateway/identifiers.py): a lower-case key or `unlisted:<keyed hash>`, a value of letters, digits
and ` ._+-` or `unlisted:<keyed hash>`; an intersection joins two with "×" (keys) and " × "
(groups), as audits/run.py names them. Anything else cannot match a record, so it is refused
rather than stored. Light to import (pydantic only; APScheduler's cron parser on first use).
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from audits.errors import AuditUsageError
from audits.window import DURATION_HELP, parse_duration

MAX_ATTRIBUTES = 16  # as many as X-Customer-Attributes may carry (gateway/customer.py)
_KEY = r"(?:[a-z][a-z0-9_]{0,31}|unlisted:[0-9a-f]{1,64})"
_VALUE = r"(?:[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}|unlisted:[0-9a-f]{1,64})"
ATTRIBUTE = re.compile(_KEY)
LABEL = re.compile(rf"{_KEY}(?:×{_KEY})?")  # an attribute, or an intersection of two
GROUP = re.compile(rf"{_VALUE}(?: × {_VALUE})?")
SCHEDULE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

ATTRIBUTE_RULE = "a list of up to 16 attribute names as records carry them (e.g. [\"gender\", \"age_band\"])"
REFERENCE_RULE = ("an object of up to 16 attribute → group pairs as records carry them "
                  "(e.g. {\"gender\": \"male\", \"gender×age_band\": \"male × 35-64\"})")
RULES = {
    "since": "an ISO 8601 time (2026-11-01T00:00:00Z) or a duration back from now (30d)",
    "until": "an ISO 8601 time or a duration back from now; default now",
    "attributes": ATTRIBUTE_RULE,
    "reference": REFERENCE_RULE,
}


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"not {what}")
        return value
    return AfterValidator(check)


Attribute = Annotated[str, _check(ATTRIBUTE, "an attribute name")]
Label = Annotated[str, _check(LABEL, "an attribute or an intersection")]
Group = Annotated[str, _check(GROUP, "a group")]
Attributes = Annotated[list[Attribute], Field(min_length=1, max_length=MAX_ATTRIBUTES)]
Reference = Annotated[dict[Label, Group], Field(max_length=MAX_ATTRIBUTES)]


class AuditRequest(BaseModel):
    """The body of POST /v1/audits: the window as written (audits/window.py reads it), and
    optionally the attributes and reference groups. Strict: no field nobody asked for."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    since: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    until: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    attributes: Attributes | None = None
    reference: Reference = Field(default_factory=dict)

    def parameters(self) -> dict[str, Any]:
        return {"attributes": self.attributes, "reference": dict(self.reference)}


class AuditSchedule(BaseModel):
    """One scheduled audit: `cron` (five fields, UTC) fires it; it audits the `window` before
    the firing's time, e.g. cron "0 6 * * 1" with window "7d" audits the week to Monday 06:00."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, _check(SCHEDULE_NAME, "a lower-case name (letters, digits, _ and -)")]
    cron: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    window: str
    attributes: Attributes | None = None
    reference: Reference = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid(self) -> AuditSchedule:
        try:
            parse_duration(self.window, "window")
        except AuditUsageError:
            raise ValueError(f"schedule {self.name}: window must be {DURATION_HELP}") from None
        try:
            self.trigger()
        except ValueError as exc:
            raise ValueError(f"schedule {self.name}: cron must be five crontab fields (minute hour day month "
                             f"weekday, in UTC), e.g. \"0 6 * * 1\": {exc}") from None
        return self

    def trigger(self):  # type: ignore[no-untyped-def]
        """The APScheduler trigger (UTC)."""
        return crontab_trigger(self.cron)

    def parameters(self) -> dict[str, Any]:
        return {"attributes": self.attributes, "reference": dict(self.reference)}


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_trigger(expression: str):  # type: ignore[no-untyped-def]
    """A five-field crontab expression as cron(8) reads it, as an APScheduler trigger in UTC.

    APScheduler's own `from_crontab` numbers weekdays from Monday (its 1 is Tuesday) and ANDs a
    day of month with a weekday where cron(8) ORs them: the weekday field is translated to
    names here, and restricting both day fields is refused rather than read differently.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError("five fields are needed")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError("give a day of the month or a weekday, not both (cron(8) would run on either)")
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday),
                       timezone=UTC)


def _weekdays(field: str) -> str:
    """cron(8)'s weekday field (0 or 7 Sunday, names sun..sat, ranges, lists, steps) as names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = _number(step_text, 1, 7) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, dash, high = span.partition("-")
            first = _day(low)
            last = _day(high, end=True) if dash else (6 if step_text else first)
            if last < first:
                raise ValueError(f"the weekday range {span} runs backwards")
        days.update(range(first, last + 1, step))
    return ",".join(WEEKDAYS[d % 7] for d in sorted(days))


def _day(text: str, *, end: bool = False) -> int:
    if text.lower() in WEEKDAYS:
        return WEEKDAYS.index(text.lower())
    day = _number(text, 0, 7)
    # 7 is Sunday too; at the end of a range it closes the week (5-7: fri, sat, sun).
    return day if end or day < 7 else 0


def _number(text: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(f"a weekday is 0-7 or sun..sat, a step 1-7; got {text!r}")
    return int(text)


def unique_names(schedules: list[AuditSchedule]) -> list[AuditSchedule]:
    seen: set[str] = set()
    for schedule in schedules:
        if schedule.name in seen:
            raise ValueError(f"two audit schedules are named {schedule.name}: each firing is claimed by its name")
        seen.add(schedule.name)
    return schedules
