"""Digest schedules: ``daily 08:00`` and ``weekly mon 08:00`` in a chat's time zone.

Pure functions. A schedule is kept as the person typed it (normalised) and its next
occurrence is always computed from "now" in the zone, so a DST change moves the UTC time
and keeps the wall-clock time, and a bot that was down for days owes one digest, not one
per missed day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import CommandError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SCHEDULE_HELP = "e.g. --digest daily 08:00 or --digest weekly mon 08:00 (in the chat's time zone)"
_SCHEDULE = re.compile(
    r"(?P<kind>daily|weekly)(?:\s+(?P<day>[a-z]{3,9}))?\s+(?P<h>\d{1,2})[:.h](?P<m>\d{2})",
    re.IGNORECASE,
)
_OPTION = re.compile(r"(?:^|\s)(?:--|[\u2013\u2014])digest(?:\s+|=)(?P<rest>.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Schedule:
    weekday: int | None  # 0 = Monday; None: every day
    hour: int
    minute: int

    def __str__(self) -> str:
        if self.weekday is None:
            return f"daily {self.hour:02d}:{self.minute:02d}"
        return f"weekly {DAYS[self.weekday]} {self.hour:02d}:{self.minute:02d}"


def parse_schedule(text: str) -> Schedule:
    found = _SCHEDULE.fullmatch(" ".join(text.split()))
    if found is None:
        raise CommandError(f"I couldn't read that digest schedule: {SCHEDULE_HELP}.")
    hour, minute = int(found["h"]), int(found["m"])
    if hour > 23 or minute > 59:
        raise CommandError(f"A digest time is HH:MM from 00:00 to 23:59, {SCHEDULE_HELP}.")
    day = (found["day"] or "").lower()
    if found["kind"].lower() == "daily":
        if day:
            raise CommandError(f"A daily digest takes no day, {SCHEDULE_HELP}.")
        return Schedule(None, hour, minute)
    named = [n for n, full in enumerate(_FULL) if day and full.startswith(day)]
    if len(named) != 1:
        raise CommandError(f"A weekly digest needs a day such as mon, {SCHEDULE_HELP}.")
    return Schedule(named[0], hour, minute)


def take_digest(args: str) -> tuple[str, Schedule | None]:
    """``'iraq --digest daily 08:00'`` → ``('iraq', Schedule(...))``; the option goes last."""
    found = _OPTION.search(args)
    if found is None:
        return args, None
    return args[: found.start()].strip(), parse_schedule(found["rest"])


def next_due(schedule: Schedule, after: datetime, timezone: str) -> datetime:
    """The first time strictly after ``after`` (aware) when the digest is due, in UTC terms
    of ``after``'s zone. A wall time that a DST change skips is taken as the same offset
    from midnight (02:30 on a spring-forward day is 03:30)."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    for days in range(8):
        day = (local + timedelta(days=days)).date()
        if schedule.weekday is not None and day.weekday() != schedule.weekday:
            continue
        at = datetime(day.year, day.month, day.day, schedule.hour, schedule.minute, tzinfo=zone)
        due = at.astimezone(after.tzinfo)
        if due > after:
            return due
    raise AssertionError("a weekly schedule recurs within 8 days")  # pragma: no cover
