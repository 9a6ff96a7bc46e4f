"""#12: erasure and retention that erase, on disk and in the staff group, over real HTTP.

A unique marker written by a patient (an unanswered question passed to staff, an urgent
message) and by a nurse (a reply) is looked for, byte for byte, in bot.db, bot.db-wal and a
fresh backup: present before, absent after /supprimer and after the retention purge.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.config import Settings, SettingsError, load_settings
from bot.storage import Database, backup_database, backup_name
from tests.conftest import (
    CONTROLLER,
    DPO,
    NURSE,
    PARIS,
    PATIENT,
    STAFF_CHAT,
    RunningBot,
    privacy_text,
)
from tests.fakes.bot_api import FakeBotAPI
from tests.test_cli import run_cli

MARKER = "zorglub7741"
APPOINTMENT = datetime(2026, 12, 7, 9, 30, tzinfo=PARIS)


def files_with_marker(db_path: Path, *others: Path) -> list[str]:
    """Which of bot.db, its -wal and the other files hold the marker (as UTF-8 bytes)."""
    needle = MARKER.encode()
    found = []
    for path in (db_path, Path(f"{db_path}-wal"), *others):
        if path.exists() and needle in path.read_bytes():
            found.append(path.name)
    return found


async def patient_writes_marker(bot: RunningBot, fake: FakeBotAPI) -> list[int]:
    """Enrol and consent, then a forwarded question, an alert and a nurse's reply with the
    marker; returns the message ids of the bot's staff-group posts about the patient."""
    rt = bot.runtime
    invitation = await rt.enrollment.enroll(APPOINTMENT, "M.D. 4471")
    fake.send_command(PATIENT, "start", args=invitation.token)
    [request] = await fake.wait_for_messages(PATIENT, 1)
    fake.press_button(PATIENT, request, dict(fake.buttons(request))[texts.CONSENT_YES])
    await fake.wait_for_messages(PATIENT, 2)
    fake.send_text(PATIENT, f"le prix du parking {MARKER} ?")

    def fallbacks() -> list[dict]:  # type: ignore[type-arg]
        return [m for m in fake.messages(PATIENT) if texts.FORWARD_BUTTON in dict(fake.buttons(m))]

    await fake.wait_for(lambda: bool(fallbacks()), what="fallback")
    fallback = fallbacks()[0]
    fake.press_button(PATIENT, fallback, dict(fake.buttons(fallback))[texts.FORWARD_BUTTON])
    forwarded = texts.QUESTION_FORWARDED[:20]
    await fake.wait_for(
        lambda: any(m["text"].startswith(forwarded) for m in fake.messages(PATIENT)),
        what="forwarded",
    )
    fake.send_text(PATIENT, f"je saigne beaucoup {MARKER}")
    # A question thread does not swallow an urgent message: it raises its own alert (#11).
    await fake.wait_for(
        lambda: sum(MARKER in m["text"] for m in fake.messages(STAFF_CHAT)) == 2, what="alert"
    )
    posts = [m for m in fake.messages(STAFF_CHAT) if MARKER in m["text"]]
    assert len(posts) == 2, fake.dump(STAFF_CHAT)
    alert = next(m for m in posts if "Saignement" in m["text"])
    fake.send_text(
        NURSE, f"On vous rappelle {MARKER}", chat_id=STAFF_CHAT, reply_to=alert["message_id"]
    )
    await fake.wait_for(
        lambda: any("Aperçu" in m["text"] for m in fake.messages(STAFF_CHAT)), what="preview"
    )
    preview = next(m for m in fake.messages(STAFF_CHAT) if "Aperçu" in m["text"])
    fake.press_button(NURSE, preview, fake.buttons(preview)[0][1])
    await fake.wait_until_consumed()
    await bot.dispatch()
    await fake.wait_for(
        lambda: any(MARKER in m["text"] and "équipe" in m["text"] for m in fake.messages(PATIENT)),
        what="nurse's reply relayed",
    )
    row = await rt.db.fetchone(
        "SELECT COUNT(*) FROM unanswered WHERE text LIKE ?", (f"%{MARKER}%",)
    )
    assert row is not None and row[0] == 1
    return [int(m["message_id"]) for m in posts]


def assert_redacted(fake: FakeBotAPI, message_ids: list[int], text: str) -> None:
    for message_id in message_ids:
        message = fake.message(STAFF_CHAT, message_id)
        assert message is not None and not message["deleted"]
        assert message["text"] == text.replace("<i>", "").replace("</i>", "")
        assert fake.buttons(message) == []


async def test_erasure_leaves_no_trace_on_disk_or_in_the_staff_group(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    db_path = settings.database_path
    posts = await patient_writes_marker(bot, fake)
    before = tmp_path / "before.db"
    await asyncio.to_thread(backup_database, db_path, before)
    # The search can fail: the words are there before the erasure.
    assert "bot.db-wal" in files_with_marker(db_path) and files_with_marker(before, before)

    fake.send_command(PATIENT, "supprimer")
    await fake.wait_for(
        lambda: fake.messages(PATIENT)[-1]["text"] == texts.ERASE_CONFIRM, what="ask"
    )
    confirm = fake.messages(PATIENT)[-1]
    fake.press_button(PATIENT, confirm, dict(fake.buttons(confirm))[texts.ERASE_YES])
    erased = privacy_text(texts.ERASED)
    await fake.wait_for(lambda: fake.messages(PATIENT)[-1]["text"] == erased, what="erased")
    assert CONTROLLER in erased and DPO in erased and "7 jours" in erased

    after = tmp_path / "after.db"
    await asyncio.to_thread(backup_database, db_path, after)
    assert files_with_marker(db_path, after) == []

    await bot.dispatch()
    assert_redacted(fake, posts, texts.REDACTED_ERASURE)
    notice = fake.messages(STAFF_CHAT)[-1]["text"]
    assert notice.startswith("Le patient n° 1 a effacé ses données") and "M.D." not in notice
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM redactions")
    assert row is not None and row[0] == 0
    assert files_with_marker(db_path) == []


async def test_retention_purge_leaves_no_trace(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    db_path = settings.database_path
    posts = await patient_writes_marker(bot, fake)
    assert files_with_marker(db_path)
    bot.clock.set(APPOINTMENT + timedelta(days=settings.retention_days + 1))
    bot.app.bot_data["dispatcher"]._last_purge = None
    await bot.dispatch()
    fresh = tmp_path / "fresh.db"
    await asyncio.to_thread(backup_database, db_path, fresh)
    assert files_with_marker(db_path, fresh) == []
    assert_redacted(fake, posts, texts.REDACTED_EXPIRED)
    assert await bot.runtime.db.patient(1) is None


async def test_redaction_falls_back_to_delete_then_gives_up(
    bot: RunningBot, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    posts = await patient_writes_marker(bot, fake)
    question, alert = sorted(posts)
    # Edit refused for good on one post: it is deleted instead. On the other, a network
    # fault first (retried), then both edit and delete refused: given up, ids kept.
    fake.add_fault("editMessageText", 400, description="Bad Request: message can't be edited")
    fake.add_fault("editMessageText", 502)
    await bot.runtime.enrollment.erase(PATIENT)
    await bot.dispatch()
    assert (deleted := fake.message(STAFF_CHAT, question)) is not None and deleted["deleted"]
    rows = await bot.runtime.db.fetchall("SELECT * FROM redactions")
    assert [(r["message_id"], r["status"], r["attempts"]) for r in rows] == [(alert, "pending", 1)]
    fake.add_fault("editMessageText", 400, description="Bad Request: message can't be edited")
    fake.add_fault("deleteMessage", 400, description="Bad Request: message can't be deleted")
    await bot.dispatch()  # backoff not over: nothing tried
    assert len(fake.calls("deleteMessage")) == 1
    bot.clock.advance(timedelta(seconds=5))
    await bot.dispatch()
    rows = await bot.runtime.db.fetchall("SELECT * FROM redactions")
    assert [(r["message_id"], r["status"]) for r in rows] == [(alert, "failed")]
    assert f"staff post {alert} can be neither edited nor deleted" in caplog.text
    assert MARKER not in caplog.text


async def test_existing_loose_database_is_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    await db.close()
    con = sqlite3.connect(path)  # leaves a -wal behind while open
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    for p in (path, Path(f"{path}-wal")):
        os.chmod(p, 0o644)
    caplog.set_level(logging.WARNING, logger="bot.storage")
    db = await Database.open(path)
    try:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        assert "were 644; set to 600" in caplog.text
        assert tuple(await db.fetchone("PRAGMA secure_delete") or ()) == (1,)
        limit = await db.fetchone("PRAGMA journal_size_limit")
        assert tuple(limit or ()) == (4 * 1024 * 1024,)
    finally:
        await db.close()
        con.close()


async def test_busy_checkpoint_is_retried_then_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    reader = sqlite3.connect(path)
    try:
        now = datetime.now(UTC)

        async def write(text: str) -> None:
            await db.record_unanswered(
                chat_id=1, patient_id=None, kind="fallback", normalized=text, text=text, now=now
            )

        await write("a")
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM unanswered").fetchone()  # holds a read snapshot
        await write("b")
        caplog.set_level(logging.WARNING, logger="bot.storage")
        assert not await db.truncate_wal()
        assert "WAL checkpoint busy after 5 tries" in caplog.text
        reader.rollback()
        assert await db.truncate_wal()
        wal = await asyncio.to_thread(Path(f"{path}-wal").stat)
        assert wal.st_size == 0
    finally:
        reader.close()
        await db.close()


def test_backup_command_rotates_only_its_own_old_copies(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.db"
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    now = datetime.now(UTC)
    old = folder / backup_name(now - timedelta(days=8))
    recent = folder / backup_name(now - timedelta(days=6))
    mine = folder / "copie-manuelle.db"
    for path in (old, recent, mine, Path(f"{old}-wal")):
        path.write_bytes(b"x")
        os.chmod(path, 0o644)
    out = run_cli(
        "backup",
        str(folder),
        env={"DATABASE_PATH": str(db_path), "BACKUP_RETENTION_DAYS": "7"},
    )
    assert out.returncode == 0, out.stderr
    made = [p for p in folder.iterdir() if p.name.startswith("bot-backup-") and p != recent]
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600
    assert not old.exists() and not Path(f"{old}-wal").exists()
    assert recent.exists() and stat.S_IMODE(recent.stat().st_mode) == 0o600
    assert mine.exists() and stat.S_IMODE(mine.stat().st_mode) == 0o644  # not ours
    assert f"Ancienne sauvegarde effacée (7 jours) : {old}" in out.stdout


def test_run_requires_the_privacy_contacts() -> None:
    base = {
        "TELEGRAM_BOT_TOKEN": "123:abcdefghijklmn",
        "STAFF_CHAT_ID": "-1",
        "HOTLINE_PHONE": "01 46 41 00 00",
    }
    for missing, extra in (
        ("DATA_CONTROLLER", {}),
        ("DPO_CONTACT", {"DATA_CONTROLLER": CONTROLLER}),
    ):
        with pytest.raises(SettingsError) as info:
            load_settings(env_file=None, environ={**base, **extra}).require_telegram()
        assert info.value.name == missing
    ok = load_settings(
        env_file=None, environ={**base, "DATA_CONTROLLER": CONTROLLER, "DPO_CONTACT": DPO}
    )
    ok.require_telegram()
    for name, value in (
        ("DPO_CONTACT", "dpo@{x}.fr"),
        ("DATA_CONTROLLER", "a\nb"),
        ("DATA_CONTROLLER", "x" * 201),
        ("BACKUP_RETENTION_DAYS", "0"),
    ):
        with pytest.raises(SettingsError) as info:
            load_settings(env_file=None, environ={name: value})
        assert info.value.name == name


def test_privacy_texts_name_what_is_kept_and_who_to_contact() -> None:
    for template in (texts.CONSENT_REQUEST, texts.CONSENT_DECLINED, texts.HELP_PRIVACY):
        text = privacy_text(template)
        assert CONTROLLER in text and DPO in text and "90 jours" in text, template[:30]
        assert "{" not in text.replace("{date}", "")
    for template in (texts.CONSENT_REQUEST, texts.HELP_PRIVACY):
        text = privacy_text(template)
        for kept in ("identifiant Telegram", "questions auxquelles", "réponses de suivi"):
            assert kept in text
        assert "Telegram, une société extérieure" in text or "société extérieure" in text
    assert "je ne conserve rien" not in texts.CONSENT_DECLINED
