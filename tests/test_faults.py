"""Faults survived: Telegram errors and slowness, a locked database, a killed process,
broken content at start-up, retention and backups. Over real HTTP, some with real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.config import PROJECT_ROOT, Settings
from bot.enrollment import Enrollment, hash_token
from bot.reminders.plan import load_plan
from bot.storage import Database
from bot.telegram.dispatcher import MAX_IN_FLIGHT
from tests.conftest import (
    CONTROLLER,
    DPO,
    HOTLINE,
    PARIS,
    PATIENT,
    STAFF_CHAT,
    TOKEN,
    RunningBot,
)
from tests.fakes.bot_api import FakeBotAPI


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spawn_bot(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A real `python -m bot run` process, as in production."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sent_to(fake: FakeBotAPI, chat: int) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in fake.calls("sendMessage") if int(c["params"]["chat_id"]) == chat]


async def test_patient_reply_survives_5xx(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.add_fault("sendMessage", 500, times=1, chat_id=PATIENT)
    fake.add_fault("sendMessage", 502, times=1, chat_id=PATIENT)
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    await fake.wait_until_consumed()
    for _ in range(6):
        bot.clock.advance(timedelta(seconds=30))
        await bot.dispatch()
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert "30 minutes" in reply["text"]
    assert [c["status"] for c in sent_to(fake, PATIENT)] == [500, 502, 200]


async def test_429_is_waited_out_and_delivered_once(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.add_fault("sendMessage", 429, retry_after=1, times=2, chat_id=PATIENT)
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [reply] = await fake.wait_for_messages(PATIENT, 1, timeout=10)
    assert "30 minutes" in reply["text"]
    await asyncio.sleep(0.2)
    assert len(fake.messages(PATIENT)) == 1
    assert [c["status"] for c in sent_to(fake, PATIENT)] == [429, 429, 200]


async def test_slow_telegram_still_delivers_once(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.add_fault("sendMessage", 200, delay=1.5, times=3)
    fake.send_text(PATIENT, "je saigne beaucoup")
    [reply] = await fake.wait_for_messages(PATIENT, 1, timeout=10)
    assert HOTLINE in reply["text"]
    await bot.dispatch()
    await fake.wait_for_messages(STAFF_CHAT, 1, timeout=10)
    assert len(fake.messages(PATIENT)) == 1 and len(fake.messages(STAFF_CHAT)) == 1


async def test_timeout_that_reached_telegram_is_repeated_at_most_once(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    # Longer than ptb's 5 s read timeout: the bot sees TimedOut although Telegram delivered.
    fake.add_fault("sendMessage", 504, delay=5.5, times=1, chat_id=PATIENT, deliver=True)
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    await fake.wait_for(lambda: len(sent_to(fake, PATIENT)) >= 1, timeout=10, what="first try")
    await asyncio.sleep(5.8)
    for _ in range(3):
        bot.clock.advance(timedelta(seconds=30))
        await bot.dispatch()
    msgs = await fake.wait_for_messages(PATIENT, 2, timeout=10)
    assert len(msgs) == 2 and msgs[0]["text"] == msgs[1]["text"]  # one duplicate, reported


async def test_reminders_survive_faults_exactly_once(bot: RunningBot, fake: FakeBotAPI) -> None:
    rt = bot.runtime
    invitation = await rt.enrollment.enroll(datetime(2026, 12, 7, 9, 30, tzinfo=PARIS), "A.B.")
    await rt.enrollment.open_link(invitation.token, PATIENT)
    fake.add_fault("sendMessage", 500, times=1, chat_id=PATIENT)
    fake.add_fault("sendMessage", 429, retry_after=1, times=1, chat_id=PATIENT)
    fake.add_fault("sendMessage", 502, times=1, chat_id=PATIENT)
    assert await rt.enrollment.consent(PATIENT, rt.content.plan) is not None
    for _ in range(10):
        bot.clock.advance(timedelta(seconds=20))
        await bot.dispatch()
    await fake.wait_for_messages(PATIENT, 1, timeout=10)
    assert len(fake.messages(PATIENT)) == 1
    rows = await rt.db.patient_steps(invitation.patient_id)
    assert [r.status for r in rows][:2] == ["sent", "pending"]


async def test_locked_database_makes_the_bot_wait_not_fail(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings
) -> None:
    holder = subprocess.Popen(  # noqa: ASYNC220 - must hold the lock while the test awaits
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(3)\n"
            "c.execute('COMMIT')",
            str(settings.database_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.to_thread(holder.stdout.readline)).strip() == "locked"
        started = time.monotonic()
        fake.send_text(PATIENT, "est-ce que la mutuelle rembourse ?")
        [reply] = await fake.wait_for_messages(PATIENT, 1, timeout=15)
        assert reply["text"].startswith("La page de l'hôpital ne précise pas le prix")
        assert time.monotonic() - started >= 2  # it waited for the lock, then carried on
        row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM unanswered")
        assert row is not None and row[0] == 1
    finally:
        holder.wait(timeout=10)


def _bot_env(settings: Settings, fake: FakeBotAPI, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOTLINE"))},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "STAFF_CHAT_ID": str(settings.staff_chat_id),
        "HOTLINE_PHONE": HOTLINE,
        "DATA_CONTROLLER": CONTROLLER,
        "DPO_CONTACT": DPO,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(settings.database_path),
        **extra,
    }


async def test_broken_content_at_start_up_refuses_to_run(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    for name, var in (("triage.yaml", "TRIAGE_RULES"), ("reminders.yaml", "REMINDER_PLAN")):
        broken = tmp_path / name
        broken.write_text("steps:\n  - id: x\n    offset: [\n")
        out = await asyncio.to_thread(
            run_cli, "run", env=_bot_env(settings, fake, **{var: str(broken)})
        )
        assert out.returncode == 1, out.stderr
        assert out.stderr.startswith(f"{broken}:") and "Traceback" not in out.stderr
    assert fake.calls("getUpdates") == []  # it never started polling


async def test_sigkill_while_sending_loses_nothing(settings: Settings, fake: FakeBotAPI) -> None:
    """A real `python -m bot run` is killed with SIGKILL mid-delivery, then started again."""
    patients = 40
    now = SystemClock().now()
    db = await Database.open(settings.database_path)
    try:
        plan = load_plan(settings.reminder_plan)
        step = plan.steps[0]
        enrollment = Enrollment(db, settings, SystemClock())
        for i in range(patients):
            chat = 5000 + i
            fake.add_user(chat, f"P{i}")
            inv = await enrollment.enroll(now + timedelta(days=3), f"P{i}")
            await db.open_invite(hash_token(inv.token), chat, now)
            await db.accept_invite(
                hash_token(inv.token),
                chat,
                now,
                [(step.id, step.kind, now - timedelta(minutes=1), now + timedelta(hours=1), False)],
            )
        for i in range(10):  # alerts waiting for the staff group
            await db.enqueue(chat_id=STAFF_CHAT, text=f"alerte {i}", purpose="alert", now=now)
    finally:
        await db.close()
    # Slow sends so that the kill lands in the middle of the work.
    fake.add_fault("sendMessage", 200, delay=0.1, times=10_000)
    env = _bot_env(settings, fake)
    proc = spawn_bot(env)
    try:
        await fake.wait_for(
            lambda: len(fake.all_messages()) >= 15, timeout=30, what="some deliveries"
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    delivered_before = len(fake.all_messages())
    assert delivered_before < patients + 10, "killed too late to test anything"
    fake.clear_faults()
    proc = spawn_bot(env)
    try:
        await fake.wait_for(
            lambda: (
                len({m["chat_id"] for m in fake.all_messages()}) == patients + 1
                and len(fake.messages(STAFF_CHAT)) >= 10
            ),
            timeout=60,
            what="everything delivered after restart",
        )
    finally:
        proc.send_signal(signal.SIGTERM)  # graceful this time
        assert proc.wait(timeout=30) == 0
    per_chat = Counter(m["chat_id"] for m in fake.all_messages() if m["chat_id"] != STAFF_CHAT)
    staff = Counter(m["text"] for m in fake.messages(STAFF_CHAT))
    lost = patients - len(per_chat) + sum(1 for i in range(10) if staff[f"alerte {i}"] == 0)
    duplicates = sum(n - 1 for n in per_chat.values()) + sum(n - 1 for n in staff.values())
    assert lost == 0
    # At most the messages in flight at the kill: MAX_IN_FLIGHT reminders, or one staff post.
    assert duplicates <= MAX_IN_FLIGHT, (per_chat, staff)
    print(f"SIGKILL: {delivered_before} sent before kill, {lost} lost, {duplicates} duplicates")


async def test_retention_erases_old_patients_and_questions(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    rt = bot.runtime
    inv = await rt.enrollment.enroll(datetime(2026, 12, 7, 9, 30, tzinfo=PARIS), "OLD")
    await rt.enrollment.open_link(inv.token, PATIENT)
    await rt.enrollment.consent(PATIENT, rt.content.plan)
    fake.send_text(PATIENT, "est-ce que la mutuelle rembourse ?")
    await fake.wait_for_messages(PATIENT, 2)
    bot.clock.set(datetime(2027, 3, 6, 10, 0, tzinfo=PARIS))  # 89 days after: kept
    await bot.dispatch()
    assert await rt.db.patient(inv.patient_id) is not None
    bot.clock.set(datetime(2027, 3, 8, 10, 0, tzinfo=PARIS))  # 91 days after: erased
    bot.app.bot_data["dispatcher"]._last_purge = None
    await bot.dispatch()
    assert await rt.db.patient(inv.patient_id) is None
    for table in ("steps", "invites", "unanswered"):
        row = await rt.db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table


async def test_backup_while_the_bot_runs(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    fake.send_text(PATIENT, "est-ce que la mutuelle rembourse ?")
    await fake.wait_for_messages(PATIENT, 1)
    dest = tmp_path / "copie.db"
    out = await asyncio.to_thread(
        run_cli,
        "backup",
        str(dest),
        env={**os.environ, "DATABASE_PATH": str(settings.database_path)},
    )
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    con = sqlite3.connect(dest)
    try:
        assert con.execute("SELECT COUNT(*) FROM unanswered").fetchone()[0] == 1
    finally:
        con.close()
    # The bot carries on after the backup.
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [_, answer] = await fake.wait_for_messages(PATIENT, 2)
    assert "30 minutes" in answer["text"]
    again = await asyncio.to_thread(
        run_cli,
        "backup",
        str(dest),
        env={**os.environ, "DATABASE_PATH": str(settings.database_path)},
    )
    assert again.returncode == 2 and "existe déjà" in again.stderr
