"""Reminder delivery benchmark: a large plan database, start-up, dispatcher ticks, a burst.

Run with ``python -m bench.reminders`` (about 6 minutes on 2 cores; ``--quick`` for a smoke
run of under a minute), or ``python -m bench`` for every benchmark. Not part of the tests:
numbers depend on the machine. Everything runs on temporary copies of the database and the
loopback fake Bot API server (tests/fakes/bot_api.py); the bot's code is used unmodified.

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
  nothing due (what runs every 2 s in production), the first tick (with the hourly
  retention purge), ``claim_steps(now, 50)`` alone, its first statement (expired ->
  missed) and ``unanswered_checkins``, each with SQLite's query plan (both statements are
  captured from the calls to db.py, so they are what the bot runs), and the total time of
  a tick with 100 steps due (through ptb's AIORateLimiter, then without limiter for the
  bare cost of a step).
* burst: N steps due at the same minute (J+1 check-ins at 10:00 of N patients seen the
  day before, each in its own chat), added to the 100,000-patient database and delivered
  by the real application (JobQueue ticks every 2 s, long polling on) to the fake server:
  wall time from application start until the database shows all N sent, the achieved rate
  over the span of the sends (Telegram allows ~30 messages/s per bot; target >= 27/s), the
  429 answers given by the fake, the steps lost (chat without message / row not 'sent')
  and the chats that got more than one message (must be 0: steps are at-least-once only
  across a crash, never within a run). Variants: 5 injected 429s (``retry_after=1``; past
  AIORateLimiter's 3 retries the dispatcher's own RetryAfter path runs), and a simulated
  Telegram answer time (``--latency-ms``, 50 ms by default, in a burst of
  ``--latency-burst`` steps: the fake answers in ~1 ms, Telegram does not). Short bursts
  show a little over 30/s: aiolimiter's bucket starts full and lets the first 30 requests
  through at once.

Where the time goes (the run prints it again with its own numbers). An idle tick checks
the hourly purge, re-notifies staff, looks for unanswered check-ins
(``unanswered_checkins``) and claims due steps (``claim_steps``). ``claim_steps`` first
marks expired steps missed with ``status = 'pending' AND due_at <= ? AND expires_at <= ?``:
the ``due_at`` term is implied (a step never expires before it is due) but lets the
steps_due index (status, due_at) stop at "now" instead of visiting every pending row.
Migration 3's partial index steps_unanswered is meant for ``unanswered_checkins``; the row
shows the plan SQLite actually chooses. ``Dispatcher._steps`` groups each claimed batch by
chat and serves the chats concurrently, at most ``MAX_IN_FLIGHT`` (4) sends in flight, a
chat's own steps in order, each send followed by its own ``step_sent`` transaction (the
database lock serialises them). The rate is then at most the lower of AIORateLimiter's
30/s and MAX_IN_FLIGHT / (answer time + per-step cost): the limiter stays the bound up to
an answer time of about 4/30 s, ~130 ms. A 429 pauses every send (AIORateLimiter) and, past
its retries, puts the rest of that chat's steps back to pending for the next tick.

History: the expiry UPDATE used to have no ``due_at`` bound (it visited every pending row,
0.64 s at 100,000 patients) and each batch was sent one step after the other, each send
awaited. At 100,000 patients an idle tick took 672 ms (a third of a core at one tick every
2 s), and with a 50 ms answer time a burst went out at 13.6/s (at most 50 steps per
claim + 50 x (answer time + per-step cost)). With the bounded UPDATE and concurrent sends
across chats: idle tick ~20 ms (19.9 median), 50 ms-latency burst 31.0/s. In that run
``unanswered_checkins`` was 17.6 ms of the 19.9: SQLite chose steps_due (status=?), visiting
every sent step, rather than steps_unanswered.
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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

import bot.telegram.app as app_module
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.content import Content
from bot.reminders.plan import Plan, PlannedStep, plan_for
from bot.runtime import Runtime
from bot.storage import Database, to_db
from bot.telegram.app import build_application, post_init, post_shutdown
from bot.telegram.dispatcher import BATCH, MAX_IN_FLIGHT, Dispatcher
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock

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


def settings_for(db_path: Path, base_url: str | None = None) -> Settings:
    environ = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "HOTLINE_PHONE": HOTLINE,
        "DATA_CONTROLLER": "Hôpital (banc d'essai)",
        "DPO_CONTACT": "dpo@exemple.invalid",
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
from bot.storage import Database
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

Statement = tuple[str, Any]


@contextmanager
def recording(db: Database) -> Iterator[list[Statement]]:
    """Record the (sql, parameters) that ``db`` executes meanwhile (transaction control aside),
    so that the bench times and explains the statements of db.py, not a copy of them."""
    statements: list[Statement] = []
    real = db.conn.execute

    def execute(sql: str, parameters: Any = None) -> Any:
        if sql not in ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            statements.append((sql, parameters))
        return real(sql, parameters)

    with mock.patch.object(db.conn, "execute", execute):
        yield statements


async def query_plan(db: Database, statement: Statement) -> str:
    sql, parameters = statement
    rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, tuple(parameters or ()))
    return "; ".join(str(r["detail"]) for r in rows)


@dataclass
class TickStats:
    rows: list[TickRow]
    tick_ms: float  # a tick with nothing due, median
    claim_ms: float  # claim_steps with nothing due, median
    expire_ms: float  # its first statement (expired -> missed), median
    expire_plan: str
    unanswered_ms: float  # unanswered_checkins, median
    unanswered_plan: str
    n_sent: int  # sent steps in the table (unanswered_checkins may visit them all)
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
    tick_ms = add("tick, nothing due", await time_ticks(), "runs every 2 s in production")

    with recording(db) as statements:
        await db.claim_steps(now, BATCH)
    expire = statements[0]
    samples: list[float] = []
    for _ in range(n_ticks):
        start = time.perf_counter()
        claimed = await db.claim_steps(now, BATCH)
        timed_ms(samples, start)
        assert not claimed
    claim_ms = add(f"claim_steps(now, {BATCH}), nothing due", samples, "also once per batch of 50")

    # Its first statement, as db.py runs it (with nothing due it updates no row).
    assert "'missed'" in expire[0], f"claim_steps' first statement changed: {expire[0]}"
    samples = []
    for _ in range(n_ticks):
        start = time.perf_counter()
        async with db.tx() as c:
            await c.execute(*expire)
        timed_ms(samples, start)
    expire_plan = await query_plan(db, expire)
    expire_ms = add(
        "claim_steps' first statement: UPDATE pending -> missed", samples, f"`{expire_plan}`"
    )

    # The other query of an idle tick that grows with the table, if it visits the sent steps
    # (they stay until the retention purge): its plan says whether it does.
    row = await db.fetchone("SELECT COUNT(*) FROM steps WHERE status = 'sent'")
    n_sent = int(row[0]) if row else 0
    sent_before = now - rt.content.plan.no_answer_alert_after
    with recording(db) as statements:
        waiting = await db.unanswered_checkins(sent_before)
    (unanswered,) = statements
    samples = []
    for _ in range(n_ticks):
        start = time.perf_counter()
        await db.unanswered_checkins(sent_before)
        timed_ms(samples, start)
    unanswered_plan = await query_plan(db, unanswered)
    unanswered_ms = add(
        "unanswered_checkins, in every tick",
        samples,
        f"`{unanswered_plan}`; {n_sent:,} sent steps, {len(waiting)} waiting",
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
    # Sends overlap (MAX_IN_FLIGHT), but the event loop, the fake server's thread and the
    # database lock are shared: with ~1 ms answers this is close to the CPU cost of a step.
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
            f"{step_ms:.1f} ms/step besides its {claims} claims ({MAX_IN_FLIGHT} in flight):"
            " render, HTTP, step_sent",
        )
    )
    return TickStats(
        rows=out,
        tick_ms=tick_ms,
        claim_ms=claim_ms,
        expire_ms=expire_ms,
        expire_plan=expire_plan,
        unanswered_ms=unanswered_ms,
        unanswered_plan=unanswered_plan,
        n_sent=n_sent,
        step_ms=step_ms,
    )


# --- burst ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    label: str
    n: int
    latency_ms: float = 0.0
    inject_429: int = 0


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
    busy = tick.tick_ms / 1000 / app_module.DISPATCH_INTERVAL_S
    rest = tick.tick_ms - tick.claim_ms - tick.unanswered_ms
    if "steps_unanswered" in tick.unanswered_plan:
        unanswered = (
            "through migration 3's partial index steps_unanswered, which holds only the"
            " check-ins still waiting for an answer"
        )
    else:
        unanswered = (
            "SQLite's planner does not choose migration 3's partial index steps_unanswered"
            f" (plan: `{tick.unanswered_plan}`), so it visits the {tick.n_sent:,} sent steps,"
            " which stay until the retention purge: this grows with the table"
        )
    # Without the limiter: MAX_IN_FLIGHT round trips at a time, each plus the step's own cost.
    in_flight_rate = MAX_IN_FLIGHT / ((latency_ms + tick.step_ms) / 1000)
    break_even_ms = MAX_IN_FLIGHT / TELEGRAM_RATE * 1000 - tick.step_ms
    return "\n".join(
        [
            "Where the time goes:",
            "",
            f"- Idle tick: {tick.tick_ms:.1f} ms, {100 * busy:.1f}% of a core at one tick every"
            f" {app_module.DISPATCH_INTERVAL_S:.0f} s. `claim_steps` {tick.claim_ms:.1f} ms:"
            f" its expiry UPDATE ({tick.expire_ms:.1f} ms) is bounded by `due_at <= now`"
            f" (plan: `{tick.expire_plan}`): it visits only the pending steps already due."
            f" `unanswered_checkins` {tick.unanswered_ms:.1f} ms: {unanswered}."
            f" Everything else (purge check, staff re-notifications, outbox): {rest:.1f} ms.",
            f"- Burst, fake answering at once: {instant.rate:.1f}/s. AIORateLimiter's 30/s is"
            " the bound; the claim paid per batch of 50 is hidden because aiolimiter's bucket"
            " (capacity 30) lets the sends queued behind a claim go out at once.",
            f"- Burst, {latency_ms:.0f} ms answer time: {slow.rate:.1f}/s. Chats are served"
            f" concurrently, at most {MAX_IN_FLIGHT} sends in flight: without the limiter that"
            f" allows {MAX_IN_FLIGHT} / ({latency_ms:.0f} + {tick.step_ms:.1f}) ms ="
            f" {in_flight_rate:.0f}/s, so AIORateLimiter's 30/s stays the bound up to an answer"
            f" time of about {break_even_ms:.0f} ms. A 429 pauses every send"
            " (AIORateLimiter) and puts the rest of that chat's steps back to pending.",
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
        "--latency-burst", type=int, help="steps in the burst with --latency-ms answers (900)"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="simulated answer time")
    parser.add_argument("--ticks", type=int, default=30, help="ticks timed per measurement")
    args = parser.parse_args(argv)
    n_patients = args.patients or (10_000 if args.quick else 100_000)
    n_burst = args.burst or (300 if args.quick else 3000)
    n_latency = args.latency_burst or (300 if args.quick else 900)

    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
            report(Path(tmp), n_patients, n_burst, n_latency, args.latency_ms, args.ticks, logs)
    finally:
        logging.getLogger().removeHandler(logs)
    return 0


def report(
    tmp: Path,
    n_patients: int,
    n_burst: int,
    n_latency: int,
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
    asyncio.run(add_burst(base, plan, max(n_burst, n_latency)))
    print(
        f"## Reminders: burst of steps due at the same minute, on top of {n_patients:,} patients\n"
    )
    bursts = [
        Burst(LABEL_INSTANT, n_burst),
        Burst("real app, 5 x 429 (retry_after=1) injected", n_burst, inject_429=5),
        Burst(LABEL_SLOW, n_latency, latency_ms=latency_ms),
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
    """Keep ``burst.n`` burst steps due now (the others a day later)."""
    db = await Database.open(path)
    try:
        async with db.tx() as c:
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
