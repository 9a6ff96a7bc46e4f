"""Reminder delivery benchmark: a large plan database, start-up, dispatcher ticks, a burst.

Run with ``python -m bench.reminders`` (about 8 minutes on 2 cores; ``--quick`` for a smoke
run of about 2), or ``python -m bench`` for every benchmark. Not part of the tests: numbers depend
on the machine. Everything runs on temporary copies of the database and the loopback fake Bot
API server (tests/fakes/bot_api.py); the bot's code is used unmodified, except in rows
labelled "what-if", which change the bench's own copy (a subclass of the dispatcher, an extra
index) to estimate a proposed change.

Metrics:

* population: 100,000 active patients, each with the 5 steps of data/reminders.yaml laid
  out by ``plan_for`` (500,000 step rows), appointments on weekdays of the next 60 days
  between 08:00 and 17:30 (Paris), inserted in one transaction with ``executemany``. Steps
  due before "now" are recorded as already sent (the bot was running), so nothing is due.
  The population time is reported, it is not a target.
* start-up, in a fresh ``python`` process (so imports count, as for ``python -m bot run``):
  imports (bot.telegram.app and what it pulls in), ``Database.open`` (version check, WAL,
  migrations), ``recover_outbox`` + ``recover_steps`` (50 rows left 'sending', as after a
  crash mid-batch), ``Content(settings)`` (FAQ, triage, plan); the median of 3 runs, and
  the process's resident memory after start-up (VmRSS, and VmHWM, its peak). The database
  file is in the page cache (it was just written): this is a warm start.
* one dispatcher tick (``Dispatcher.tick`` of the real application, built by
  ``build_application`` + ``post_init``, talking to the fake server): median and p99 with
  nothing due (what runs every 2 s in production), ``claim_steps(now, 50)`` alone, the
  "expired -> missed" UPDATE inside it and two ways to bound it, and the total time of a
  tick with 100 steps due (through ptb's AIORateLimiter, then without limiter for the bare
  cost of a step).
* burst: N steps due at the same minute (J+1 check-ins at 10:00 of N patients seen the
  day before, each in its own chat), added to the 100,000-patient database and delivered
  by the real application (JobQueue ticks every 2 s, long polling on) to the fake server:
  wall time from application start until the database shows all N sent, the achieved rate
  over the span of the sends (Telegram allows ~30 messages/s per bot; target >= 27/s), the
  429 answers given by the fake, the steps lost (chat without message / row not 'sent')
  and the chats that got more than one message (must be 0: steps are at-least-once only
  across a crash, never within a run). Variants: 5 injected 429s (``retry_after=1``; past
  AIORateLimiter's 3 retries the dispatcher's own RetryAfter path runs), and a simulated
  Telegram answer time (``--latency-ms``, 50 ms by default: the fake answers in ~1 ms,
  Telegram does not). Short bursts show a little over 30/s: aiolimiter's bucket starts
  full and lets the first 30 requests through at once.

Where the time goes (the run prints it again with its own numbers). ``claim_steps`` first
marks expired steps missed with ``WHERE status = 'pending' AND expires_at <= ?``; the
steps_due index (status, due_at) cannot bound ``expires_at``, so every pending row is
visited, at every tick and once per batch of 50: at 100,000 patients that is most of a
second of CPU every 2 s. ``Dispatcher._steps`` then sends the batch one message after the
other, each awaited, each followed by its own ``step_sent`` transaction, so the rate is at
most 50 / (claim + 50 x (answer time + per-step cost)): against the fake's ~1 ms answers
AIORateLimiter's 30/s is the bound (the claim is absorbed by the limiter's bucket), but
with a 50 ms answer time the rate falls well under 27/s. What-if rows: the index
(status, expires_at) (``AND due_at <= ?`` in the UPDATE is equivalent, since expires_at
never precedes due_at, and needs no migration); each claimed batch sent with
``asyncio.gather`` (AIORateLimiter still caps the bot at 30/s and pauses every send on a
429; the database lock still serialises the ``step_sent`` writes); and both.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

import bot.telegram.app as app_module
from bot.clock import FakeClock
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.content import Content
from bot.db import Database, to_db
from bot.reminders.plan import Plan, PlannedStep, plan_for
from bot.runtime import Runtime
from bot.telegram.app import build_application, post_init, post_shutdown
from bot.telegram.dispatcher import BATCH, Dispatcher
from tests.fakes.bot_api import FakeBotAPI

PARIS = ZoneInfo("Europe/Paris")
TOKEN = "123456:BENCH-TOKEN-abcdefghij"
BOT_ID = 123456
STAFF_CHAT = -1001234567890
HOTLINE = "01 46 41 00 00"
# "Now" for every scenario: a Tuesday, just after the 10:00 steps of the day fell due.
NOW = datetime(2026, 12, 1, 10, 0, 30, tzinfo=PARIS)
BURST_MINUTE = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
BURST_STEP = "suivi_j_plus_1"  # J+1 at 10:00: every patient of the day before at once
# Chat ids: patient n of the big population has PATIENT_CHAT + n; burst patients start higher.
PATIENT_CHAT = 10_000_000
BURST_FIRST_ID = 5_000_000
TELEGRAM_RATE = 30.0
TARGET_RATE = 0.9 * TELEGRAM_RATE
LABEL_INSTANT = "real app, fake answers at once"
LABEL_SLOW = "real app, simulated answer time"
LABEL_INDEX = "**what-if**: index steps(status, expires_at)"
LABEL_GATHER = "**what-if**: batch sent with asyncio.gather"
LABEL_BOTH = "**what-if**: index + asyncio.gather"


def settings_for(db_path: Path, base_url: str | None = None) -> Settings:
    environ = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "HOTLINE_PHONE": HOTLINE,
        "DATABASE_PATH": str(db_path),
    }
    if base_url is not None:
        environ["TELEGRAM_API_BASE_URL"] = base_url
    return load_settings(env_file=None, environ=environ)


def quantiles(samples: Sequence[float]) -> tuple[float, float]:
    """Median and p99 (nearest rank) of the samples."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


class LogCounter(logging.Handler):
    """Counts warnings and errors by logger, keeping the first message of each (the bot's own
    logs carry ids and kinds only; ptb's and APScheduler's name jobs and limits)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.name} {record.levelname}"
        self.counts[key] += 1
        # The tail says what happened; the head of APScheduler's message is the job's repr.
        message = record.getMessage()
        self.first.setdefault(key, message if len(message) <= 70 else "…" + message[-60:])

    def take(self) -> str:
        text = "; ".join(
            f"{k} x{n} (first: {self.first[k]!r})" for k, n in sorted(self.counts.items())
        )
        self.counts.clear()
        self.first.clear()
        return text or "none"


# --- population --------------------------------------------------------------------------


def weekday_slots(first: date, days: int) -> list[datetime]:
    """Appointment times on weekdays from ``first`` for ``days`` days, 08:00-17:30 every 30 min."""
    slots = []
    for d in range(days):
        day = first + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for half_hours in range(16, 36):
            slots.append(
                datetime(day.year, day.month, day.day, tzinfo=PARIS)
                + timedelta(minutes=30 * half_hours)
            )
    return slots


async def add_patients(
    db: Database,
    plan: Plan,
    appointments: Sequence[datetime],
    *,
    first_id: int,
    sent_before: datetime,
) -> int:
    """Insert active patients (with a used invite each) and their plan steps; returns step rows.

    Steps due before ``sent_before`` are stored as sent, the others as pending: the state a
    running bot leaves behind. Past check-ins are marked as already noted to staff, so the
    tick's unanswered-check-in scan does not turn them into thousands of staff notes.
    """
    created = to_db(NOW - timedelta(days=3))
    invite_end = to_db(NOW + timedelta(days=11))
    # Many patients share a slot: plan each slot once (plan_for and to_db dominate otherwise).
    cache: dict[datetime, list[tuple[PlannedStep, str, str]]] = {}
    patients: list[tuple[object, ...]] = []
    invites: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    for offset, appointment in enumerate(appointments):
        pid = first_id + offset
        chat = PATIENT_CHAT + pid
        planned = cache.get(appointment)
        if planned is None:
            planned = [
                (p, to_db(p.due_at), to_db(p.expires_at))
                for p in plan_for(plan, appointment, PARIS, NOW)
            ]
            cache[appointment] = planned
        patients.append((pid, f"P{pid:07d}", chat, to_db(appointment), created, created))
        token_hash = hashlib.sha256(f"bench-{pid}".encode()).hexdigest()
        invites.append((token_hash, pid, created, invite_end, chat, created))
        for p, due, end in planned:
            sent = p.due_at < sent_before
            steps.append(
                (
                    pid,
                    p.step.id,
                    p.step.kind,
                    due,
                    end,
                    "sent" if sent else "pending",
                    due if sent else None,
                    1 if sent else None,
                    int(sent and p.step.kind == "checkin"),
                )
            )
    async with db.tx() as c:
        await c.executemany(
            "INSERT INTO patients (id, label, chat_id, appointment_at, status, created_at,"
            " consented_at) VALUES (?, ?, ?, ?, 'active', ?, ?)",
            patients,
        )
        await c.executemany(
            "INSERT INTO invites (token_hash, patient_id, created_at, expires_at,"
            " opened_chat_id, used_at) VALUES (?, ?, ?, ?, ?, ?)",
            invites,
        )
        await c.executemany(
            "INSERT INTO steps (patient_id, step_id, kind, due_at, expires_at, status, sent_at,"
            " message_id, no_answer_noted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            steps,
        )
    return len(steps)


async def populate(path: Path, plan: Plan, n_patients: int) -> tuple[int, float]:
    rng = random.Random(20261201)
    slots = weekday_slots(NOW.date() + timedelta(days=1), 60)
    appointments = [rng.choice(slots) for _ in range(n_patients)]
    start = time.perf_counter()
    db = await Database.open(path)
    try:
        rows = await add_patients(db, plan, appointments, first_id=1, sent_before=NOW)
    finally:
        await db.close()
    return rows, time.perf_counter() - start


async def add_burst(path: Path, plan: Plan, n: int) -> None:
    """N patients seen yesterday: their J+1 check-in falls due at 10:00 today, all at once."""
    day_before = BURST_MINUTE.date() - timedelta(days=1)
    slots = weekday_slots(day_before, 1)
    appointments = [slots[i % len(slots)] for i in range(n)]
    db = await Database.open(path)
    try:
        # The burst step itself is due exactly at BURST_MINUTE: keep it pending.
        await add_patients(
            db, plan, appointments, first_id=BURST_FIRST_ID, sent_before=BURST_MINUTE
        )
    finally:
        await db.close()


# --- start-up, in a fresh process --------------------------------------------------------

# Timed from its first line; its output is one JSON line. Imports bot.telegram.app because
# that is what `python -m bot run` loads before it opens the database.
STARTUP_PROBE = """
import time
t0 = time.perf_counter()
import asyncio, json, sys
from bot.config import load_settings
from bot.content import Content
from bot.db import Database
import bot.telegram.app
t1 = time.perf_counter()

def status():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}

async def main():
    settings = load_settings(env_file=None, environ=json.loads(sys.argv[1]))
    t2 = time.perf_counter()
    db = await Database.open(settings.database_path)
    t3 = time.perf_counter()
    recovered = await db.recover_outbox() + await db.recover_steps()
    t4 = time.perf_counter()
    Content(settings)
    t5 = time.perf_counter()
    mem = status()
    await db.close()
    print(json.dumps({"imports": t1 - t0, "open": t3 - t2, "recover": t4 - t3,
                      "content": t5 - t4, "total": t5 - t0, "recovered": recovered, **mem}))

asyncio.run(main())
"""


def leave_sending(path: Path, n: int = 50) -> None:
    """Leave ``n`` future steps 'sending', as a crash in the middle of a batch would."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE steps SET status = 'sending' WHERE id IN"
            " (SELECT id FROM steps WHERE status = 'pending' LIMIT ?)",
            (n,),
        )
    conn.close()


def startup(path: Path, runs: int = 3) -> dict[str, float]:
    environ = json.dumps({"DATABASE_PATH": str(path), "HOTLINE_PHONE": HOTLINE})
    results: list[dict[str, float]] = []
    for _ in range(runs):
        leave_sending(path)
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_PROBE, environ],
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        results.append({**json.loads(out.stdout), "process": wall})
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


# --- dispatcher ticks ----------------------------------------------------------------------


async def make_due(db: Database, fake: FakeBotAPI, n: int, skip: int) -> None:
    """Bring one pending step of each of ``n`` patients forward to 30 s before now."""
    rows = await db.fetchall(
        "SELECT MIN(s.id) AS id, p.chat_id FROM steps s JOIN patients p ON p.id = s.patient_id"
        " WHERE s.status = 'pending' AND p.id > ? AND p.id <= ? GROUP BY p.id",
        (skip, skip + n),
    )
    async with db.tx() as c:
        await c.executemany(
            "UPDATE steps SET due_at = ? WHERE id = ?",
            [(to_db(NOW - timedelta(seconds=30)), int(r["id"])) for r in rows],
        )
    for r in rows:
        fake.add_user(int(r["chat_id"]))


def timed_ms(samples: list[float], start: float) -> None:
    samples.append((time.perf_counter() - start) * 1000)


# One row of the tick table: what, median ms (or the one run's total), p99 ms, note.
TickRow = tuple[str, str, str, str]

# WHAT-IF schema change: an index that lets "pending and expired" be found without visiting
# every pending row (what a migration 3 would add). Dropped again after being measured.
EXPIRY_INDEX = "CREATE INDEX bench_steps_expiry ON steps(status, expires_at)"


@dataclass
class TickStats:
    rows: list[TickRow]
    claim_ms: float  # claim_steps with nothing due, median
    step_ms: float  # one step sent without rate limiter, claims excluded


async def ticks(path: Path, content: Content, n_ticks: int) -> TickStats:
    fake = FakeBotAPI(token=TOKEN, bot_id=BOT_ID)
    fake.start()
    try:
        fake.add_group(STAFF_CHAT)
        settings = settings_for(path, fake.base_url)
        # Built like the running bot, but without app.start(): no JobQueue, we tick ourselves.
        app = build_application(settings, clock=FakeClock(NOW), content=content)
        await app.initialize()
        try:
            await post_init(app)
            rt: Runtime = app.bot_data["runtime"]
            dispatcher: Dispatcher = app.bot_data["dispatcher"]
            return await tick_stats(rt, dispatcher, fake, n_ticks)
        finally:
            await post_shutdown(app)
            await app.shutdown()
    finally:
        fake.stop()


async def tick_stats(
    rt: Runtime, dispatcher: Dispatcher, fake: FakeBotAPI, n_ticks: int
) -> TickStats:
    db, now = rt.db, rt.clock.now()
    out: list[TickRow] = []

    def add(what: str, samples: list[float], note: str = "") -> float:
        med, p99 = quantiles(samples)
        out.append((what, f"{med:.1f}", f"{p99:.1f}", note))
        return med

    async def time_ticks() -> list[float]:
        samples: list[float] = []
        for _ in range(n_ticks):
            start = time.perf_counter()
            await dispatcher.tick()
            timed_ms(samples, start)
        return samples

    # The first tick also applies the retention period (then at most once an hour).
    start = time.perf_counter()
    await dispatcher.tick()
    first = (time.perf_counter() - start) * 1000
    out.append(
        (
            "first tick after start, nothing due",
            f"{first:.1f} (one tick)",
            "-",
            "with the hourly retention purge",
        )
    )
    add("tick, nothing due", await time_ticks(), "runs every 2 s in production")

    samples: list[float] = []
    for _ in range(n_ticks):
        start = time.perf_counter()
        claimed = await db.claim_steps(now, BATCH)
        timed_ms(samples, start)
        assert not claimed
    claim_ms = add(f"claim_steps(now, {BATCH}), nothing due", samples, "also once per batch of 50")

    async def time_update(extra: str) -> list[float]:
        samples: list[float] = []
        for _ in range(n_ticks):
            start = time.perf_counter()
            async with db.tx() as c:
                await c.execute(
                    "UPDATE steps SET status = 'missed' WHERE status = 'pending'"
                    " AND expires_at <= :now" + extra,
                    {"now": to_db(now)},
                )
            timed_ms(samples, start)
        return samples

    # claim_steps' first statement visits every pending row through steps_due (status=?).
    add(
        "claim_steps' first statement: UPDATE pending -> missed",
        await time_update(""),
        "as in db.py",
    )
    # Equivalent because plan.expires_at never precedes due_at; the index then stops at "now".
    add(
        "**what-if**: that UPDATE with `AND due_at <= ?`",
        await time_update(" AND due_at <= :now"),
        "same rows, no schema change",
    )
    async with db.tx() as c:
        await c.execute(EXPIRY_INDEX)
    try:
        add("**what-if**: that UPDATE, index steps(status, expires_at)", await time_update(""), "")
        add("**what-if**: tick, nothing due, with that index", await time_ticks(), "")
    finally:
        async with db.tx() as c:
            await c.execute("DROP INDEX bench_steps_expiry")

    # The other query of an idle tick that grows with the table: every 'sent' step is
    # visited (steps_due gives status only), and sent steps stay until the retention purge.
    row = await db.fetchone("SELECT COUNT(*) FROM steps WHERE status = 'sent'")
    n_sent = int(row[0]) if row else 0
    samples = []
    for _ in range(n_ticks):
        start = time.perf_counter()
        await db.unanswered_checkins(now - rt.content.plan.no_answer_alert_after)
        timed_ms(samples, start)
    add(
        "unanswered_checkins, in every tick (most of what remains)",
        samples,
        f"visits the {n_sent:,} sent steps",
    )

    due = 100
    await make_due(db, fake, due, skip=1000)
    start = time.perf_counter()
    await dispatcher.tick()
    total = time.perf_counter() - start
    sent = len(fake.calls("sendMessage"))
    out.append(
        (
            f"tick, {due} due, app bot with AIORateLimiter ({sent} sent)",
            f"{total * 1000:.0f} (one tick)",
            "-",
            f"{due / total:.1f} msg/s: 30 at once, then the limiter's 30/s",
        )
    )

    # The same work without the limiter: what a step costs us (render, HTTP, two transactions).
    await make_due(db, fake, due, skip=2000)
    bare_bot = ExtBot(
        TOKEN,
        base_url=rt.settings.telegram_api_base_url or "",
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=PARIS),
    )
    async with bare_bot:
        start = time.perf_counter()
        await Dispatcher(rt, bare_bot).tick()
        total = time.perf_counter() - start
    sent = len(fake.calls("sendMessage")) - sent
    # Two full batches and the empty claim that ends the loop.
    claims = due // BATCH + 1
    step_ms = (total * 1000 - claims * claim_ms) / due
    out.append(
        (
            f"tick, {due} due, bot without rate limiter ({sent} sent)",
            f"{total * 1000:.0f} (one tick)",
            "-",
            f"{step_ms:.1f} ms/step besides its {claims} claims: render, HTTP, step_sent",
        )
    )
    return TickStats(out, claim_ms, step_ms)


# --- burst ---------------------------------------------------------------------------------


class ConcurrentDispatcher(Dispatcher):
    """WHAT-IF, not the bot's code: send each claimed batch concurrently.

    Same claim, same ``_send_step`` (429 / 403 / 400 / 5xx handling and settlement), only the
    batch is awaited with ``asyncio.gather`` instead of one send after the other.
    AIORateLimiter keeps the bot under 30/s and pauses every request on a 429.
    """

    async def _steps(self) -> None:
        rt = self.runtime
        while True:
            rows = await rt.db.claim_steps(rt.clock.now(), BATCH)
            if not rows:
                return
            results = await asyncio.gather(*(self._send_step(row) for row in rows))
            if not all(results) or len(rows) < BATCH:
                return


@dataclass(frozen=True)
class Burst:
    label: str
    n: int
    latency_ms: float = 0.0
    inject_429: int = 0
    concurrent: bool = False
    expiry_index: bool = False


@dataclass(frozen=True)
class BurstResult:
    burst: Burst
    wall: float  # application start -> the database shows every step sent
    rate: float  # successful sends per second over the span of the sends
    answers_429: int
    no_message: int
    not_sent: int
    duplicates: int
    logged: str


@contextmanager
def dispatcher_class(concurrent: bool) -> Iterator[None]:
    """post_init builds ``Dispatcher`` from bot.telegram.app's namespace: swap it for what-ifs."""
    if not concurrent:
        yield
        return
    with mock.patch.object(app_module, "Dispatcher", ConcurrentDispatcher):
        yield


async def count_sent(db: Database) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM steps WHERE patient_id >= ? AND step_id = ? AND status = 'sent'",
        (BURST_FIRST_ID, BURST_STEP),
    )
    return int(row[0]) if row else 0


async def run_burst(path: Path, content: Content, burst: Burst, logs: LogCounter) -> BurstResult:
    chats = [PATIENT_CHAT + BURST_FIRST_ID + i for i in range(burst.n)]
    fake = FakeBotAPI(token=TOKEN, bot_id=BOT_ID)
    fake.start()
    try:
        fake.add_group(STAFF_CHAT)
        for chat in chats:
            fake.add_user(chat)
        if burst.latency_ms:
            # Status 200 with a delay: the fake waits, then answers normally.
            fake.add_fault("sendMessage", 200, delay=burst.latency_ms / 1000, times=burst.n + 1000)
        if burst.inject_429:
            fake.add_fault("sendMessage", 429, retry_after=1, times=burst.inject_429)
        clock = FakeClock(NOW)
        settings = settings_for(path, fake.base_url)
        app = build_application(settings, clock=clock, content=content)
        # As tests/conftest.py start_bot, i.e. run_polling minus signal handling.
        await app.initialize()
        try:
            with dispatcher_class(burst.concurrent):
                await post_init(app)
            rt: Runtime = app.bot_data["runtime"]
            start = time.monotonic()
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            done = await wait_all_sent(rt.db, clock, burst.n, start)
            # One more scheduled tick: a duplicate send would show up now.
            await asyncio.sleep(app_module.DISPATCH_INTERVAL_S + 0.5)
            not_sent = burst.n - await count_sent(rt.db)
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await post_shutdown(app)
            await app.shutdown()
        burst_chats = set(chats)
        calls = [c for c in fake.calls("sendMessage") if c["chat_id"] in burst_chats]
        per_chat = Counter(int(m["chat_id"]) for m in fake.all_messages())
    finally:
        fake.stop()
    ok = [c["monotonic"] for c in calls if c["status"] == 200]
    span = max(ok) - min(c["monotonic"] for c in calls) if len(ok) > 1 else 0.0
    return BurstResult(
        burst=burst,
        wall=done - start,
        rate=(len(ok) - 1) / span if span else 0.0,
        answers_429=sum(c["status"] == 429 for c in calls),
        no_message=sum(per_chat[c] == 0 for c in chats),
        not_sent=not_sent,
        duplicates=sum(per_chat[c] > 1 for c in chats),
        logged=logs.take(),
    )


async def wait_all_sent(db: Database, clock: FakeClock, n: int, start: float) -> float:
    """Poll until every burst step is sent (or a generous deadline); the clock follows real
    time from the burst minute, so a 429's retry_after is over after that many real seconds."""
    deadline = start + n / (TARGET_RATE / 3) + 60
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        clock.set(NOW + timedelta(seconds=time.monotonic() - start))
        if await count_sent(db) >= n:
            break
    return time.monotonic()


def burst_table(results: Sequence[BurstResult]) -> str:
    lines = [
        "| scenario | steps | Telegram answer time | wall s | msg/s | vs 27/s |"
        " 429 answers | lost (no message / not sent) | chats with > 1 message |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b = r.burst
        verdict = "met" if r.rate >= TARGET_RATE else "**below**"
        lines.append(
            f"| {b.label} | {b.n} | {b.latency_ms:.0f} ms | {r.wall:.1f} | {r.rate:.1f} |"
            f" {verdict} | {r.answers_429} | {r.no_message} / {r.not_sent} | {r.duplicates} |"
        )
    lines.append("")
    lines.append("Logged warnings/errors during each burst:")
    lines.extend(f"- {r.burst.label}: {r.logged}" for r in results)
    return "\n".join(lines)


def analysis(tick: TickStats, results: Sequence[BurstResult], latency_ms: float) -> str:
    """Where the time goes, from the numbers just measured."""
    by_label = {r.burst.label: r for r in results}
    instant, slow = by_label[LABEL_INSTANT], by_label[LABEL_SLOW]
    index, gather, both = by_label[LABEL_INDEX], by_label[LABEL_GATHER], by_label[LABEL_BOTH]
    busy = tick.claim_ms / 1000 / app_module.DISPATCH_INTERVAL_S
    per_batch = tick.claim_ms / 1000 + BATCH * (latency_ms + tick.step_ms) / 1000
    predicted = BATCH / per_batch
    return "\n".join(
        [
            "Where the time goes:",
            "",
            f"- Idle cost. With nothing due, `claim_steps` takes {tick.claim_ms:.0f} ms: its"
            " first statement (pending -> missed) visits every pending row, since the"
            " steps_due index (status, due_at) cannot bound `expires_at`. At one tick every"
            f" {app_module.DISPATCH_INTERVAL_S:.0f} s that is {100 * busy:.0f}% of a core,"
            " growing with the number of pending steps. `AND due_at <= ?` (equivalent:"
            " expires_at >= due_at) or an index on (status, expires_at) makes it ~0.1 ms.",
            f"- Burst, fake answering at once: {instant.rate:.1f}/s. AIORateLimiter's 30/s is"
            " the bound; the claim paid per batch of 50 is hidden because aiolimiter's bucket"
            " (capacity 30) lets the sends queued behind a claim go out at once.",
            f"- Burst, {latency_ms:.0f} ms answer time: one send after the other, each"
            f" followed by its `step_sent`. Per batch: claim {tick.claim_ms:.0f} ms"
            f" + 50 x ({latency_ms:.0f} + {tick.step_ms:.1f}) ms -> {predicted:.1f}/s"
            f" predicted, {slow.rate:.1f}/s measured. The claim fixed alone (index):"
            f" {index.rate:.1f}/s, so the answer time is the main cause.",
            f"- What-if, each batch sent with asyncio.gather: {gather.rate:.1f}/s; with the"
            f" index as well: {both.rate:.1f}/s. The answer time no longer bounds the rate;"
            " AIORateLimiter does, and still pauses every send on a 429.",
            "- A tick that delivers a burst outlasts the 2 s interval: APScheduler skips the"
            " overlapping runs and logs a WARNING for each (harmless: ticks never overlap"
            " anyway), hence the warnings above.",
        ]
    )


# --- report --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 patients, bursts of 300")
    parser.add_argument("--patients", type=int, help="patients in the database (100000)")
    parser.add_argument("--burst", type=int, help="steps due at the same minute (3000)")
    parser.add_argument(
        "--whatif", type=int, help="steps in the answer-time and what-if bursts (900)"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="simulated answer time")
    parser.add_argument("--ticks", type=int, default=30, help="ticks timed per measurement")
    args = parser.parse_args(argv)
    n_patients = args.patients or (10_000 if args.quick else 100_000)
    n_burst = args.burst or (300 if args.quick else 3000)
    n_whatif = args.whatif or (300 if args.quick else 900)

    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
            report(Path(tmp), n_patients, n_burst, n_whatif, args.latency_ms, args.ticks, logs)
    finally:
        logging.getLogger().removeHandler(logs)
    return 0


def report(
    tmp: Path,
    n_patients: int,
    n_burst: int,
    n_whatif: int,
    latency_ms: float,
    n_ticks: int,
    logs: LogCounter,
) -> None:
    # Loaded once for every scenario, as the running bot holds it.
    content = Content(settings_for(tmp / "unused.db"))
    plan = content.plan
    big = tmp / "big.db"
    print("## Reminders: database, start-up, dispatcher\n")
    rows, seconds = asyncio.run(populate(big, plan, n_patients))
    size_mb = big.stat().st_size / 1e6
    print(
        f"Population: {n_patients:,} patients, {rows:,} step rows in one transaction:"
        f" {seconds:.1f} s ({rows / seconds:,.0f} rows/s), file {size_mb:.0f} MB.\n"
    )

    s = startup(big)
    print("| start-up (fresh process, median of 3) | value |")
    print("|---|---|")
    print(f"| whole process (python start -> exit) | {s['process'] * 1000:.0f} ms |")
    print(f"| imports (bot.telegram.app, ptb, aiosqlite, ...) | {s['imports'] * 1000:.0f} ms |")
    print(f"| Database.open (version check, WAL, migrations) | {s['open'] * 1000:.1f} ms |")
    print(
        f"| recover_outbox + recover_steps ({s['recovered']:.0f} rows back to pending)"
        f" | {s['recover'] * 1000:.1f} ms |"
    )
    print(f"| Content(settings) (FAQ, triage, plan) | {s['content'] * 1000:.0f} ms |")
    print(f"| imports + open + recover + content | {s['total'] * 1000:.0f} ms |")
    print(
        f"| open + recover + content (no imports) | {(s['total'] - s['imports']) * 1000:.0f} ms |"
    )
    print(
        f"| resident memory after start-up: VmRSS / VmHWM | {s['VmRSS'] / 1024:.1f}"
        f" / {s['VmHWM'] / 1024:.1f} MiB |"
    )
    print()

    print(f"| dispatcher, {n_patients:,} patients ({n_ticks} runs) | median ms | p99 ms | note |")
    print("|---|---|---|---|")
    tick = asyncio.run(ticks(big, content, n_ticks))
    for what, med, p99, note in tick.rows:
        print(f"| {what} | {med} | {p99} | {note} |")
    print(f"\nLogged warnings/errors: {logs.take()}\n")

    base = tmp / "burst-base.db"
    shutil.copyfile(big, base)
    asyncio.run(add_burst(base, plan, max(n_burst, n_whatif)))
    print(
        f"## Reminders: burst of steps due at the same minute, on top of {n_patients:,} patients\n"
    )
    slow = Burst(LABEL_SLOW, n_whatif, latency_ms=latency_ms)
    bursts = [
        Burst(LABEL_INSTANT, n_burst),
        Burst("real app, 5 x 429 (retry_after=1) injected", n_burst, inject_429=5),
        slow,
        replace(slow, label=LABEL_INDEX, expiry_index=True),
        replace(slow, label=LABEL_GATHER, concurrent=True),
        replace(slow, label=LABEL_BOTH, concurrent=True, expiry_index=True),
    ]
    results = []
    for i, burst in enumerate(bursts):
        path = tmp / f"burst-{i}.db"
        shutil.copyfile(base, path)
        asyncio.run(prepare_burst(path, burst))
        results.append(asyncio.run(run_burst(path, content, burst, logs)))
        path.unlink()
    print(burst_table(results))
    print()
    print(analysis(tick, results, latency_ms))


async def prepare_burst(path: Path, burst: Burst) -> None:
    """Keep ``burst.n`` burst steps due now (the others a day later); add the what-if index."""
    db = await Database.open(path)
    try:
        async with db.tx() as c:
            if burst.expiry_index:
                await c.execute(EXPIRY_INDEX)
            await c.execute(
                "UPDATE steps SET due_at = ?, expires_at = ? WHERE patient_id >= ? AND step_id = ?",
                (
                    to_db(NOW + timedelta(days=1)),
                    to_db(NOW + timedelta(days=2)),
                    BURST_FIRST_ID + burst.n,
                    BURST_STEP,
                ),
            )
    finally:
        await db.close()


if __name__ == "__main__":
    sys.exit(main())
