"""Test-only helpers: a clock that moves when told, and database reads only tests need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage import Database
from bot.yamlfile import CheckError, ContentError


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


async def schema_version(db: Database) -> int:
    row = await db.fetchone("PRAGMA user_version")
    return int(row[0]) if row else 0


async def outbox_counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


def problems(load: Callable[..., Any], *args: Any, **kwargs: Any) -> list[CheckError]:
    """Every problem a content loader reports (``file:line: message``); [] when it loads.
    What `python -m bot check` prints, read the way the bot reads the file."""
    try:
        load(*args, **kwargs)
    except ContentError as exc:
        return list(exc.errors)
    return []
