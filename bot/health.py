"""`python -m bot health`: one line for a monitoring system, exit 0 (healthy) or 1.

The running bot has no HTTP port to probe: it leaves what health needs in its database (the
``heartbeat`` table, written at most every HEARTBEAT_INTERVAL by :class:`Heartbeat`) and
holds the run lock (backup.py). This command reads both from another process.

The line is ``OK|FAIL <problems> | key=value ...``: the words before the bar are for the
person paged, the pairs after it for graphs (Nagios-style performance data).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.backup import is_running, require_owner
from bot.clock import Clock
from bot.config import Settings
from bot.storage import Database, DatabaseError, HealthFacts, beat, read_health, to_db

log = logging.getLogger("bot.health")

# Often enough for a five-minute threshold, rare enough to cost nothing (one row rewritten).
HEARTBEAT_INTERVAL = timedelta(seconds=30)
TELEGRAM = "telegram"


class Heartbeat:
    """Records in the database that Telegram answered; called after each successful request.

    ``database`` is a callable because the request objects exist before the database opens
    (it raises RuntimeError until then, as ``Runtime.db`` does).
    """

    def __init__(self, database: Callable[[], Database], clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._last: datetime | None = None

    async def telegram_ok(self) -> None:
        now = self._clock.now()
        if self._last is not None and now - self._last < HEARTBEAT_INTERVAL:
            return
        try:
            db = self._database()
        except RuntimeError:
            return
        self._last = now  # before the write: concurrent answers must not all write
        try:
            await beat(db, TELEGRAM, now)
        except (sqlite3.Error, DatabaseError) as exc:
            # Health will report the stale heartbeat (and the unwritable database): the
            # conversation with Telegram must not fail for it.
            log.error("heartbeat not recorded: %s", type(exc).__name__)


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: list[str]
    metrics: dict[str, str]

    def line(self) -> str:
        head = "OK" if self.ok else "FAIL " + "; ".join(self.problems)
        pairs = " ".join(f"{k}={v}" for k, v in self.metrics.items())
        return f"{head} | {pairs}" if pairs else head


def _age(now: datetime, then: datetime | None) -> int:
    return max(int((now - then).total_seconds()), 0) if then is not None else 0


def judge(facts: HealthFacts, running: bool, settings: Settings, now: datetime) -> Health:
    problems: list[str] = []
    backlog = settings.health_backlog_seconds
    if not running:
        problems.append("bot not running (run lock free)")
    if facts.integrity != "ok":
        problems.append(f"database integrity: {facts.integrity}")
    if facts.write_error is not None:
        problems.append(f"database not writable: {facts.write_error}")
    seen = facts.heartbeats.get(TELEGRAM)
    telegram_age = _age(now, seen)
    if seen is None:
        problems.append("telegram never answered")
    elif telegram_age > settings.health_telegram_seconds:
        problems.append(
            f"telegram silent for {telegram_age} s (limit {settings.health_telegram_seconds} s)"
        )
    outbox_age = _age(now, facts.outbox_oldest)
    if facts.outbox_pending and outbox_age > backlog:
        problems.append(
            f"outbox: {facts.outbox_pending} message(s) waiting, oldest {outbox_age} s "
            f"(limit {backlog} s)"
        )
    inbox_age = _age(now, facts.inbox_oldest)
    if facts.inbox_pending and inbox_age > backlog:
        problems.append(
            f"inbox: {facts.inbox_pending} update(s) unhandled, oldest {inbox_age} s "
            f"(limit {backlog} s)"
        )
    if facts.alerts_waiting:
        problems.append(
            f"alerts: {facts.alerts_waiting} unacknowledged for more than "
            f"{settings.alert_overdue_minutes} min"
        )
    if facts.steps_late:
        problems.append(f"reminders: {facts.steps_late} late by more than {backlog} s")
    metrics = {
        "db": "ok" if facts.integrity == "ok" and facts.write_error is None else "fail",
        "running": "yes" if running else "no",
        "schema": str(facts.schema_version),
        "telegram_age_s": str(telegram_age) if seen is not None else "never",
        "outbox_pending": str(facts.outbox_pending),
        "outbox_oldest_s": str(outbox_age),
        "inbox_pending": str(facts.inbox_pending),
        "inbox_oldest_s": str(inbox_age),
        "alerts_overdue": str(facts.alerts_waiting),
        "reminders_late": str(facts.steps_late),
        "next_reminder": to_db(facts.next_step) if facts.next_step is not None else "none",
    }
    return Health(not problems, problems, metrics)


def check(settings: Settings, now: datetime) -> Health:
    """Look at the bot from outside: its run lock, then its database."""
    running = is_running(settings.database_path)
    try:
        require_owner(settings.database_path)
        facts = read_health(
            settings.database_path,
            now,
            alerts_before=now - timedelta(minutes=settings.alert_overdue_minutes),
            late_before=now - timedelta(seconds=settings.health_backlog_seconds),
        )
    except (DatabaseError, sqlite3.Error) as exc:
        return Health(
            False,
            [f"database unusable: {exc}"],
            {"db": "fail", "running": "yes" if running else "no"},
        )
    return judge(facts, running, settings, now)
