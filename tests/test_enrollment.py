"""Enrolment, the plan's reminders and check-ins, over real HTTP with an injected clock."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest

from bot import texts
from bot.config import Settings
from bot.enrollment import hash_token
from tests.conftest import (
    HOTLINE,
    NURSE,
    OUTSIDER,
    PARIS,
    PATIENT,
    STAFF_CHAT,
    RunningBot,
    privacy_text,
    start_bot,
    stop_bot,
)
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock

LINK_RE = re.compile(r"https://t\.me/releveurs_test_bot\?start=([A-Za-z0-9_-]+)")


async def enroll(fake: FakeBotAPI, args: str = "2026-12-07 09:30 M.D. 4471") -> str:
    """Staff enrol a patient; returns the token of the personal link."""
    before = len(fake.messages(STAFF_CHAT))
    fake.send_command(NURSE, "inscrire", args=args, chat_id=STAFF_CHAT)
    msgs = await fake.wait_for_messages(STAFF_CHAT, before + 1)
    match = LINK_RE.search(msgs[-1]["text"])
    assert match, msgs[-1]["text"]
    return match.group(1)


async def consent(fake: FakeBotAPI, token: str, user: int = PATIENT) -> None:
    before = len(fake.messages(user))
    fake.send_command(user, "start", args=token)
    msgs = await fake.wait_for_messages(user, before + 1)
    request = msgs[-1]
    assert "lundi 7 décembre 2026 à 09:30" in request["text"]
    yes = dict(fake.buttons(request))[texts.CONSENT_YES]
    fake.press_button(user, request, yes)
    msgs = await fake.wait_for_messages(user, before + 2)
    assert msgs[before + 1]["text"].startswith("Merci, c'est noté.")


def texts_of(fake: FakeBotAPI, chat: int) -> list[str]:
    return [m["text"] for m in fake.messages(chat)]


async def wait_text(fake: FakeBotAPI, chat: int, expected: str) -> dict:  # type: ignore[type-arg]
    """The bot message in that chat whose text starts with `expected` (waits for it)."""
    await fake.wait_for(
        lambda: any(t.startswith(expected) for t in texts_of(fake, chat)), what=expected[:40]
    )
    return next(m for m in fake.messages(chat) if m["text"].startswith(expected))


def with_buttons(fake: FakeBotAPI, chat: int, labels: set[str]) -> dict:  # type: ignore[type-arg]
    return next(m for m in fake.messages(chat) if {b for b, _ in fake.buttons(m)} == labels)


async def test_enrol_consent_and_plan_in_order(bot: RunningBot, fake: FakeBotAPI) -> None:
    token = await enroll(fake)
    staff_post = fake.messages(STAFF_CHAT)[-1]["text"]
    assert "lundi 7 décembre 2026 à 09:30" in staff_post and "M.D. 4471" in staff_post
    assert len(token) >= 32  # 192 random bits
    await consent(fake, token)
    patient = await bot.runtime.db.patient_by_chat(PATIENT)
    assert patient is not None and patient.status == "active"

    # Now is J-6 09:00: the J-7 reminder (due yesterday 10:00, valid 48 h) still goes out.
    await bot.dispatch()
    await fake.wait_for_messages(PATIENT, 3)
    assert "lundi 7 décembre 2026 à 09:30" in fake.messages(PATIENT)[2]["text"]

    # J-1 at 18:00 local.
    bot.clock.set(datetime(2026, 12, 6, 17, 59, tzinfo=PARIS))
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == 3
    bot.clock.set(datetime(2026, 12, 6, 18, 0, tzinfo=PARIS))
    await bot.dispatch()
    [*_, eve] = await fake.wait_for_messages(PATIENT, 4)
    assert "demain" in eve["text"].lower() or "09:30" in eve["text"]

    # J+1 at 10:00: check-in with buttons; "Pas bien" reaches the staff group.
    bot.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    [*_, checkin] = await fake.wait_for_messages(PATIENT, 5)
    labels = dict(fake.buttons(checkin))
    assert set(labels) == {"Bien", "Quelques gênes", "Pas bien"}
    fake.press_button(PATIENT, checkin, labels["Pas bien"])
    [*_, thanks] = await fake.wait_for_messages(PATIENT, 6)
    assert thanks["text"] == texts.with_hotline(texts.CHECKIN_WORRYING, HOTLINE)
    await fake.wait_for(
        lambda: any(texts.CHECKIN_ALERT_LABEL in t for t in texts_of(fake, STAFF_CHAT)),
        what="staff alert",
    )
    alert = next(t for t in texts_of(fake, STAFF_CHAT) if texts.CHECKIN_ALERT_LABEL in t)
    assert texts.CHECKIN_ALERT_LABEL in alert and "M.D. 4471" in alert and "J+1" in alert
    # A second tap on the same answer is not a second answer.
    fake.press_button(PATIENT, checkin, labels["Bien"])
    await fake.wait_for(
        lambda: fake.callback_answers()[-1]["text"] in (texts.CHECKIN_ALREADY, texts.STALE_BUTTON),
        what="second answer refused",
    )
    rows = await bot.runtime.db.patient_steps(int(patient.id))
    assert [r.step_id for r in rows if r.status == "sent"] == [
        "rappel_j_moins_7",
        "rappel_veille",
        "suivi_j_plus_1",
    ]
    assert next(r for r in rows if r.step_id == "suivi_j_plus_1").answer == "pas_bien"


async def test_pain_score_of_seven_alerts_staff(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2026, 12, 14, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    pain = next(m for m in fake.messages(PATIENT) if len(fake.buttons(m)) == 11)
    fake.press_button(PATIENT, pain, dict(fake.buttons(pain))["7"])
    await fake.wait_for(
        lambda: texts.with_hotline(texts.CHECKIN_WORRYING, HOTLINE) in texts_of(fake, PATIENT),
        what="worrying answer acknowledged",
    )
    await fake.wait_for(
        lambda: any(texts.CHECKIN_ALERT_LABEL in t for t in texts_of(fake, STAFF_CHAT)),
        what="staff alert",
    )


async def test_restart_sends_each_remaining_step_once(
    settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    first = await start_bot(settings, clock, fake)
    try:
        await consent(fake, await enroll(fake))
        await first.dispatch()
        await fake.wait_for_messages(PATIENT, 3)
    finally:
        await stop_bot(first)
    # Down for a week: J-1 (valid until 22:00 the day before) is missed, J+1 is still due.
    clock.set(datetime(2026, 12, 8, 12, 0, tzinfo=PARIS))
    second = await start_bot(settings, clock, fake)
    try:
        await second.dispatch()
        await second.dispatch()
        msgs = await fake.wait_for_messages(PATIENT, 4)
        assert len(msgs) == 4
        assert {b for b, _ in fake.buttons(msgs[3])} == {"Bien", "Quelques gênes", "Pas bien"}
        patient = await second.runtime.db.patient_by_chat(PATIENT)
        assert patient is not None
        status = {
            r.step_id: r.status for r in await second.runtime.db.patient_steps(int(patient.id))
        }
        assert status["rappel_veille"] == "missed"  # never sent late
        assert status["suivi_j_plus_1"] == "sent"
    finally:
        await stop_bot(second)


async def test_reschedule_moves_pending_steps_only(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    await bot.dispatch()
    await fake.wait_for_messages(PATIENT, 3)  # J-7 reminder sent
    fake.send_command(NURSE, "deplacer", args="1 2026-12-14 14:00", chat_id=STAFF_CHAT)
    await fake.wait_for(
        lambda: "déplacé" in fake.messages(STAFF_CHAT)[-1]["text"], what="staff confirmation"
    )
    await bot.dispatch()
    [*_, told] = await fake.wait_for_messages(PATIENT, 4)
    assert "lundi 14 décembre 2026 à 14:00" in told["text"]
    rows = {r.step_id: r for r in await bot.runtime.db.patient_steps(1)}
    assert rows["rappel_j_moins_7"].status == "sent"
    assert rows["rappel_veille"].due_at == datetime(2026, 12, 13, 18, 0, tzinfo=PARIS)
    fake.send_command(PATIENT, "rdv")
    [*_, rdv] = await fake.wait_for_messages(PATIENT, 5)
    assert rdv["text"] == texts.APPOINTMENT_IS.format(
        date="lundi 14 décembre 2026 à 14:00", when="dans 13 jours"
    )


async def test_stop_silences_and_start_resumes(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    await bot.dispatch()
    await fake.wait_for_messages(PATIENT, 3)
    fake.send_command(PATIENT, "stop")
    [*_, stopped] = await fake.wait_for_messages(PATIENT, 4)
    assert stopped["text"] == texts.with_hotline(texts.STOPPED, HOTLINE)
    bot.clock.set(datetime(2026, 12, 6, 18, 30, tzinfo=PARIS))
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == 4
    # FAQ and urgent help still work.
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [*_, answer] = await fake.wait_for_messages(PATIENT, 5)
    assert "30 minutes" in answer["text"]
    fake.send_command(PATIENT, "start")
    msgs = await fake.wait_for_messages(PATIENT, 6)
    assert msgs[5]["text"].startswith("Bon retour")
    await bot.dispatch()
    msgs = await fake.wait_for_messages(PATIENT, 7)
    assert "demain" in msgs[6]["text"] and "09:30" in msgs[6]["text"]


async def test_blocked_bot_stops_the_patient(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    await bot.dispatch()
    fake.block_bot(PATIENT)
    bot.clock.set(datetime(2026, 12, 6, 18, 0, tzinfo=PARIS))
    await bot.dispatch()
    patient = await bot.runtime.db.patient_by_chat(PATIENT)
    assert patient is not None and patient.status == "stopped"
    sends = [c for c in fake.calls("sendMessage") if int(c["params"]["chat_id"]) == PATIENT]
    assert [c["status"] for c in sends][-1] == 403
    bot.clock.set(datetime(2026, 12, 6, 18, 30, tzinfo=PARIS))
    await bot.dispatch()
    assert len(
        [c for c in fake.calls("sendMessage") if int(c["params"]["chat_id"]) == PATIENT]
    ) == len(sends)


async def test_erase_removes_everything(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    fake.send_text(PATIENT, "je saigne beaucoup")
    fake.send_text(PATIENT, "question sur le prix du parking")
    await wait_text(fake, PATIENT, texts.FOLLOWUP_FORWARDED[:30])
    await bot.dispatch()
    fake.send_command(PATIENT, "supprimer")
    confirm = await wait_text(fake, PATIENT, texts.ERASE_CONFIRM)
    fake.press_button(PATIENT, confirm, dict(fake.buttons(confirm))[texts.ERASE_YES])
    await wait_text(fake, PATIENT, privacy_text(texts.ERASED))
    db = bot.runtime.db
    for table in ("patients", "steps", "invites", "alerts", "alert_posts", "unanswered"):
        row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table
    row = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (PATIENT,))
    assert row is not None and row[0] == 0
    await bot.dispatch()
    assert any("a effacé ses données" in t for t in texts_of(fake, STAFF_CHAT))
    assert not any("saigne" in t for t in texts_of(fake, STAFF_CHAT)[-1:])


@pytest.mark.parametrize("forged", [None, "A" * 64, "../../etc", "x" * 80])
async def test_reused_or_forged_link_is_refused(
    bot: RunningBot, fake: FakeBotAPI, forged: str | None
) -> None:
    token = await enroll(fake)
    if forged is None:
        await consent(fake, token)
        other = 2002
        fake.add_user(other, "Autre")
        fake.send_command(other, "start", args=token)
        chat, attempt = other, token
    else:
        fake.send_command(PATIENT, "start", args=forged)
        chat, attempt = PATIENT, forged
    await fake.wait_for(
        lambda: any(
            m["text"] == texts.with_hotline(texts.INVITE_INVALID, HOTLINE)
            for m in fake.messages(chat)
        ),
        what="refusal",
    )
    assert all(attempt not in m["text"] for m in fake.messages(chat))  # never echoed


async def test_enrol_refused_outside_staff_group(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_command(OUTSIDER, "inscrire", args="2026-12-07 09:30 X")
    [refusal] = await fake.wait_for_messages(OUTSIDER, 1)
    assert refusal["text"] == texts.STAFF_NOT_ALLOWED
    other_group = -100555
    fake.add_group(other_group, "Autre groupe")
    fake.send_command(NURSE, "inscrire", args="2026-12-07 09:30 X", chat_id=other_group)
    await fake.wait_until_consumed()
    await bot.dispatch()
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM patients")
    assert row is not None and row[0] == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", texts.ENROLL_USAGE),
        ("2026-13-07 09:30 X", texts.DATE_INVALID),
        ("2026-12-07 9h30 X", None),
        ("2020-01-01 09:30 X", texts.DATE_PAST),
        ("2026-12-07 09:30 " + "x" * 41, texts.LABEL_INVALID),
        # #12: within two years of "now" (2026-12-01 09:00) and no year 9999.
        ("2028-11-30 09:30 X", None),
        ("2028-12-03 09:30 X", texts.DATE_TOO_FAR.format(years=2)),
        ("9999-12-31 23:59 X", texts.DATE_TOO_FAR.format(years=2)),
        ("0001-01-01 00:00 X", texts.DATE_PAST),
    ],
)
async def test_enrol_input_is_checked(
    bot: RunningBot, fake: FakeBotAPI, args: str, expected: str | None
) -> None:
    fake.send_command(NURSE, "inscrire", args=args, chat_id=STAFF_CHAT)
    [reply] = await fake.wait_for_messages(STAFF_CHAT, 1)
    if expected is None:
        assert LINK_RE.search(reply["text"])
    else:
        assert reply["text"] == expected


async def test_unanswered_checkin_becomes_a_note(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    bot.clock.advance(timedelta(hours=24, minutes=1))
    await bot.dispatch()
    await bot.dispatch()
    notes = [t for t in texts_of(fake, STAFF_CHAT) if t.startswith("🔕")]
    assert len(notes) == 1 and "M.D. 4471" in notes[0]


async def test_followup_lists_answers_with_a_chart(bot: RunningBot, fake: FakeBotAPI) -> None:
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    checkin = with_buttons(fake, PATIENT, {"Bien", "Quelques gênes", "Pas bien"})
    fake.press_button(PATIENT, checkin, dict(fake.buttons(checkin))["Bien"])
    await fake.wait_for(lambda: texts_of(fake, PATIENT)[-1] == texts.CHECKIN_THANKS, what="thanks")
    bot.clock.set(datetime(2026, 12, 14, 10, 5, tzinfo=PARIS))
    await bot.dispatch()
    pain = with_buttons(fake, PATIENT, {str(n) for n in range(11)})
    fake.press_button(PATIENT, pain, dict(fake.buttons(pain))["4"])
    await fake.wait_for(
        lambda: texts_of(fake, PATIENT).count(texts.CHECKIN_THANKS) == 2, what="second thanks"
    )
    fake.send_command(NURSE, "suivi", args="1", chat_id=STAFF_CHAT)
    await fake.wait_for(
        lambda: any(m["kind"] == "photo" for m in fake.messages(STAFF_CHAT)), what="chart"
    )
    summary = next(t for t in texts_of(fake, STAFF_CHAT) if t.startswith("Suivi de"))
    assert "J+1 · suivi_j_plus_1 · Bien" in summary
    assert "J+7 · douleur_j_plus_7 · 4" in summary
    fake.send_command(NURSE, "patients", chat_id=STAFF_CHAT)
    await fake.wait_for(lambda: texts_of(fake, STAFF_CHAT)[-1].startswith("Patients"), what="list")
    listing = texts_of(fake, STAFF_CHAT)[-1]
    assert "M.D. 4471" in listing and "suivi actif" in listing


async def test_command_line_enrolment_is_picked_up_by_the_running_bot(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings
) -> None:
    import asyncio
    import os
    import sys

    from bot.config import PROJECT_ROOT

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token or "",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(settings.database_path),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "enroll",
        "--at",
        "2026-12-07 09:30",
        "--label",
        "M.D. 4471",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    match = LINK_RE.search(out.decode())
    assert match and "lundi 7 décembre 2026 à 09:30" in out.decode()
    await consent(fake, match.group(1))


async def test_refusing_consent_keeps_nothing_and_faq_still_works(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    token = await enroll(fake)
    fake.send_command(PATIENT, "start", args=token)
    [request] = await fake.wait_for_messages(PATIENT, 1)
    fake.press_button(PATIENT, request, dict(fake.buttons(request))[texts.CONSENT_NO])
    [_, declined] = await fake.wait_for_messages(PATIENT, 2)
    assert declined["text"] == privacy_text(texts.CONSENT_DECLINED)
    db = bot.runtime.db
    assert await db.patient_by_chat(PATIENT) is None
    row = await db.fetchone("SELECT COUNT(*) FROM invites WHERE opened_chat_id IS NOT NULL")
    assert row is not None and row[0] == 0
    row = await db.fetchone("SELECT COUNT(*) FROM steps")
    assert row is not None and row[0] == 0
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [*_, answer] = await fake.wait_for_messages(PATIENT, 3)
    assert "30 minutes" in answer["text"]
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == 3  # no reminder


async def test_cancel_stops_pending_steps_and_tells_the_patient(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    await consent(fake, await enroll(fake))
    await bot.dispatch()
    await fake.wait_for_messages(PATIENT, 3)
    fake.send_command(NURSE, "annuler", args="1", chat_id=STAFF_CHAT)
    await fake.wait_for(
        lambda: "annulé" in texts_of(fake, STAFF_CHAT)[-1], what="staff confirmation"
    )
    await bot.dispatch()
    told = await wait_text(fake, PATIENT, "Votre rendez-vous du lundi 7 décembre 2026")
    assert HOTLINE in told["text"]
    statuses = {r.status for r in await bot.runtime.db.patient_steps(1)}
    assert statuses == {"sent", "cancelled"}
    count = len(fake.messages(PATIENT))
    bot.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == count
    fake.send_command(PATIENT, "rdv")
    [*_, rdv] = await fake.wait_for_messages(PATIENT, count + 1)
    assert rdv["text"] == texts.with_hotline(texts.NO_APPOINTMENT_PATIENT, HOTLINE)


# --- #12: labels and appointment dates ----------------------------------------------------

INVISIBLE = {
    "right-to-left override": "\u202e1744 .D.M",
    "left-to-right embedding": "M.D.\u202a 4471",
    "pop directional formatting": "M.D. 4471\u202c",
    "right-to-left isolate": "M.D. \u20674471\u2069",
    "left-to-right mark": "M.D.\u200e 4471",
    "right-to-left mark": "M.D.\u200f 4471",
    "arabic letter mark": "M.D.\u061c 4471",
    "zero-width space": "M.D.\u200b 4471",
    "zero-width non-joiner": "M.D.\u200c 4471",
    "zero-width joiner": "M.D.\u200d 4471",
    "word joiner": "M.D.\u2060 4471",
    "byte order mark": "\ufeffM.D. 4471",
    "soft hyphen": "M.D.\u00ad 4471",
    "bell": "M.D.\x07 4471",
    "escape": "M.D.\x1b[31m 4471",
}


@pytest.mark.parametrize("label", INVISIBLE.values(), ids=list(INVISIBLE))
async def test_label_with_invisible_characters_is_refused(
    bot: RunningBot, fake: FakeBotAPI, label: str
) -> None:
    fake.send_command(NURSE, "inscrire", args=f"2026-12-07 09:30 {label}", chat_id=STAFF_CHAT)
    [reply] = await fake.wait_for_messages(STAFF_CHAT, 1)
    bad = next(ch for ch in label if ch.isprintable() is False or ch in "\u00ad")
    assert reply["text"] == texts.LABEL_INVISIBLE.format(code=f"U+{ord(bad):04X}")
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM patients")
    assert row is not None and row[0] == 0


@pytest.mark.parametrize(
    "label", ["Mme Ngô Thị Hương", "N° 12 – J.-P. Müller", "李 4471", "M.D. 🌷", "O'Brien <b>"]
)
async def test_ordinary_labels_are_accepted(bot: RunningBot, fake: FakeBotAPI, label: str) -> None:
    fake.send_command(NURSE, "inscrire", args=f"2026-12-07 09:30 {label}", chat_id=STAFF_CHAT)
    [reply] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert LINK_RE.search(reply["text"]) and label in reply["text"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2020-01-01 09:30", texts.DATE_PAST),
        ("2026-12-01 08:59", texts.DATE_PAST),
        ("2028-12-03 09:30", texts.DATE_TOO_FAR.format(years=2)),
        ("9999-12-31 23:59", texts.DATE_TOO_FAR.format(years=2)),
    ],
)
async def test_move_refuses_dates_out_of_range(
    bot: RunningBot, fake: FakeBotAPI, when: str, expected: str
) -> None:
    await consent(fake, await enroll(fake))
    before = [(r.step_id, r.due_at) for r in await bot.runtime.db.patient_steps(1)]
    count = len(fake.messages(STAFF_CHAT))
    fake.send_command(NURSE, "deplacer", args=f"1 {when}", chat_id=STAFF_CHAT)
    [*_, reply] = await fake.wait_for_messages(STAFF_CHAT, count + 1)
    assert reply["text"] == expected
    assert [(r.step_id, r.due_at) for r in await bot.runtime.db.patient_steps(1)] == before
    patient = await bot.runtime.db.patient(1)
    assert patient is not None and patient.appointment_at == datetime(
        2026, 12, 7, 9, 30, tzinfo=PARIS
    )


async def test_year_9999_enrolled_before_the_bound_cannot_crash_consent(
    bot: RunningBot, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """A row written before dates were bounded: the link is refused, nothing raises."""
    token = "a" * 32
    now = bot.clock.now()
    await bot.runtime.db.create_patient_with_invite(
        label="ancien",
        appointment_at=datetime(9999, 12, 31, 23, 0, tzinfo=PARIS),
        token_hash=hash_token(token),
        expires_at=now + timedelta(days=14),
        now=now,
    )
    fake.send_command(PATIENT, "start", args=token)
    [request] = await fake.wait_for_messages(PATIENT, 1)
    fake.press_button(PATIENT, request, dict(fake.buttons(request))[texts.CONSENT_YES])
    [_, refused] = await fake.wait_for_messages(PATIENT, 2)
    assert refused["text"] == texts.with_hotline(texts.INVITE_INVALID, HOTLINE)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_chart_draws_a_label_that_looks_like_mathtext(
    bot: RunningBot, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    label = "$\\sqrt{$"
    await consent(fake, await enroll(fake, f"2026-12-07 09:30 {label}"))
    bot.clock.set(datetime(2026, 12, 14, 10, 5, tzinfo=PARIS))
    await bot.dispatch()
    pain = with_buttons(fake, PATIENT, {str(n) for n in range(11)})
    fake.press_button(PATIENT, pain, dict(fake.buttons(pain))["4"])
    await fake.wait_for(lambda: texts.CHECKIN_THANKS in texts_of(fake, PATIENT), what="thanks")
    fake.send_command(NURSE, "suivi", args="1", chat_id=STAFF_CHAT)
    await fake.wait_for(
        lambda: any(m["kind"] == "photo" for m in fake.messages(STAFF_CHAT)), what="chart"
    )
    assert any(t.startswith(f"Suivi de {label}") for t in texts_of(fake, STAFF_CHAT))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize(
    ("typed", "answer", "alert"),
    [("pas bien du tout", "pas_bien", True), ("ça va bien", "bien", False)],
)
async def test_typed_answer_to_a_waiting_checkin_is_recorded(
    bot: RunningBot, fake: FakeBotAPI, typed: str, answer: str, alert: bool
) -> None:
    """Typing instead of tapping is an answer, not a lost message (#9 item 4)."""
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    checkin = with_buttons(fake, PATIENT, {"Bien", "Quelques gênes", "Pas bien"})
    staff_before = len(fake.messages(STAFF_CHAT))
    fake.send_text(PATIENT, typed)
    expected = texts.CHECKIN_WORRYING if alert else texts.CHECKIN_THANKS
    await wait_text(fake, PATIENT, expected.split("{")[0])
    row = await bot.runtime.db.fetchone("SELECT answer FROM steps WHERE step_id = 'suivi_j_plus_1'")
    assert row is not None and row["answer"] == answer
    # The buttons are gone: a later tap can't answer twice.
    shown = next(m for m in fake.messages(PATIENT) if m["message_id"] == checkin["message_id"])
    assert fake.buttons(shown) == []
    await bot.dispatch()
    staff = texts_of(fake, STAFF_CHAT)[staff_before:]
    assert any(texts.CHECKIN_ALERT_LABEL in t for t in staff) is alert


async def test_typed_pain_score_is_recorded_and_other_text_is_not(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2026, 12, 14, 10, 5, tzinfo=PARIS))
    await bot.dispatch()
    with_buttons(fake, PATIENT, {str(n) for n in range(11)})
    before = len(fake.messages(PATIENT))
    # A question while the check-in waits is answered as a question, not taken as a score.
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    msgs = await fake.wait_for_messages(PATIENT, before + 1)
    assert "30 minutes" in msgs[-1]["text"]
    fake.send_text(PATIENT, "4/10")
    await fake.wait_for(lambda: texts_of(fake, PATIENT)[-1] == texts.CHECKIN_THANKS, what="thanks")
    row = await bot.runtime.db.fetchone(
        "SELECT answer, score FROM steps WHERE step_id = 'douleur_j_plus_7'"
    )
    assert row is not None and (row["answer"], row["score"]) == ("4", 4)
    # Once answered, a second number is an ordinary message again.
    fake.send_text(PATIENT, "7")
    msgs = await fake.wait_for_messages(PATIENT, before + 3)
    assert msgs[-1]["text"] != texts.CHECKIN_THANKS
    row = await bot.runtime.db.fetchone(
        "SELECT score FROM steps WHERE step_id = 'douleur_j_plus_7'"
    )
    assert row is not None and row["score"] == 4


async def test_j30_no_improvement_reaches_staff_as_a_note(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    """#11: "Non" at J+30 is for the team to plan what's next, not an emergency (no 15)."""
    await consent(fake, await enroll(fake))
    bot.clock.set(datetime(2027, 1, 6, 10, 0, tzinfo=PARIS))
    await bot.dispatch()
    result = with_buttons(fake, PATIENT, {"Oui, nettement", "Un peu", "Non"})
    fake.press_button(PATIENT, result, dict(fake.buttons(result))["Non"])
    reply = await wait_text(fake, PATIENT, texts.CHECKIN_NOTED.split("{")[0])
    assert "15" not in reply["text"].replace(HOTLINE, "")
    await bot.dispatch()
    note = next(t for t in texts_of(fake, STAFF_CHAT) if "Signalement non urgent" in t)
    assert "Suivi J+30" in note and "Non" in note and "M.D. 4471" in note
    row = await bot.runtime.db.fetchone("SELECT kind FROM alerts")
    assert row is not None and row["kind"] == "note"
