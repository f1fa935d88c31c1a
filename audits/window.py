"""An audit's window, as people write it: ISO 8601 times or durations back from now ("30d").

One parser for every door an audit comes through: `govgate audit run --since 30d`, the body
of `POST /v1/audits` and a schedule's `window` (GOVGATE_AUDIT_SCHEDULES). Light to import
(no statistics), and it raises AuditUsageError, whose message names the option and never
repeats what was given.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from audits.errors import AuditUsageError

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# ASCII digits only (str.isdigit() also takes "١٢" and "²"), at most 6 of them: a million days
# already reaches past the calendar, and a bounded number never overflows timedelta.
DURATION = re.compile(r"([0-9]{1,6})([mhdw])")
DURATION_HELP = "a number followed by m, h, d or w, e.g. 30d"
TIME_HELP = "an ISO 8601 date or time (2026-12-01, 2026-12-01T00:00:00Z) or a duration back from now, e.g. 30d"
# Longer than any ISO 8601 time anyone writes (2026-12-01T00:00:00.000000+14:00 is 32).
MAX_TEXT = 64


def parse_duration(text: str, option: str) -> timedelta:
    matched = DURATION.fullmatch(text)
    if matched is None:
        raise AuditUsageError(f"{option} must be {DURATION_HELP}")
    amount = timedelta(**{UNITS[matched.group(2)]: int(matched.group(1))})
    if amount <= timedelta(0):
        raise AuditUsageError(f"{option} must be longer than zero")
    return amount


def is_duration(text: str) -> bool:
    return DURATION.fullmatch(text) is not None


def parse_moment(text: str, option: str, *, now: datetime) -> datetime:
    """An ISO 8601 date or time (a time without a zone is UTC), or `now` minus a duration."""
    if len(text) > MAX_TEXT or not text.isascii() or not text.isprintable():
        raise AuditUsageError(f"{option} must be {TIME_HELP}")
    if is_duration(text):
        try:
            return now - parse_duration(text, option)
        except OverflowError:
            raise AuditUsageError(f"{option} reaches before the calendar's start") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AuditUsageError(f"{option} must be {TIME_HELP}") from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise AuditUsageError(f"{option} is outside the range of dates") from None


def parse_window(since: str, until: str | None, *, now: datetime, since_option: str = "since",
                 until_option: str = "until") -> tuple[datetime, datetime]:
    """[since, until): each an ISO time or a duration back from `now`; `until` defaults to now."""
    start = parse_moment(since, since_option, now=now)
    end = parse_moment(until, until_option, now=now) if until is not None else now
    if end <= start:
        raise AuditUsageError(f"{until_option} must come after {since_option}")
    return start, end
