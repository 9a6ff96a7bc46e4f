"""Staff-only powers and patients' privacy, attacked through the running bot over HTTP."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from bot import texts
from bot.config import Settings
from bot.logs import quiet_third_party_loggers
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

STAFF_COMMANDS = [
    ("inscrire", "2026-12-07 09:30 X.Y"),
    ("patients", ""),
    ("deplacer", "1 2026-12-14 09:30"),
    ("annuler", "1"),
    ("suivi", "1"),
    ("recharger", ""),
    ("clore", "1"),
]
OTHER_GROUP = -100555


async def _db_snapshot(bot: RunningBot) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for table in ("patients", "steps", "invites", "alerts", "unanswered"):
        rows.extend(tuple(r) for r in await bot.runtime.db.fetchall(f"SELECT * FROM {table}"))
    return rows


@pytest.mark.parametrize(("command", "args"), STAFF_COMMANDS)
async def test_staff_commands_refused_from_a_private_chat(
    bot: RunningBot, fake: FakeBotAPI, command: str, args: str
) -> None:
    rt = bot.runtime
    inv = await rt.enrollment.enroll(
        bot.clock.now().astimezone(PARIS).replace(day=7, hour=9, minute=30), "A.B."
    )
    before = await _db_snapshot(bot)
    fake.send_command(PATIENT, command, args)
    [refusal] = await fake.wait_for_messages(PATIENT, 1)
    assert refusal["text"] == texts.STAFF_NOT_ALLOWED
    assert await _db_snapshot(bot) == before
    assert inv.patient_id == 1


@pytest.mark.parametrize(("command", "args"), STAFF_COMMANDS)
async def test_staff_commands_ignored_in_another_group(
    bot: RunningBot, fake: FakeBotAPI, command: str, args: str
) -> None:
    fake.add_group(OTHER_GROUP, "Autre groupe")
    before = await _db_snapshot(bot)
    fake.send_command(NURSE, command, args, chat_id=OTHER_GROUP)
    await fake.wait_for(lambda: OTHER_GROUP in fake.left_chats(), what="left the group")
    assert fake.messages(OTHER_GROUP) == []
    assert fake.messages(STAFF_CHAT) == []
    assert await _db_snapshot(bot) == before


@pytest.mark.parametrize(("command", "args"), STAFF_COMMANDS)
async def test_staff_commands_refused_to_a_member_not_on_the_allow_list(
    settings: Settings,
    clock: FakeClock,
    fake: FakeBotAPI,
    command: str,
    args: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.staff")
    bot = await start_bot(replace(settings, staff_user_ids=frozenset({NURSE})), clock, fake)
    try:
        fake.set_member(STAFF_CHAT, OUTSIDER, "member")
        before = await _db_snapshot(bot)
        fake.send_command(OUTSIDER, command, args, chat_id=STAFF_CHAT)
        await fake.wait_for(
            lambda: f"refused staff action {command}" in caplog.text, what="refusal logged"
        )
        assert fake.messages(STAFF_CHAT) == []  # silent in the group, logged
        assert await _db_snapshot(bot) == before
        assert f"user {OUTSIDER}" in caplog.text
    finally:
        await stop_bot(bot)


async def test_patient_cannot_act_on_another_patients_data(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    rt = bot.runtime
    other = 2002
    fake.add_user(other, "Autre")
    when = bot.clock.now().astimezone(PARIS).replace(day=7, hour=9, minute=30)
    first = await rt.enrollment.enroll(when, "PREMIER")
    await rt.enrollment.open_link(first.token, PATIENT)
    await rt.enrollment.consent(PATIENT, rt.content.plan)
    await bot.dispatch()  # the J-7 reminder goes to PATIENT
    step_row = (await rt.db.patient_steps(first.patient_id))[0]
    # The other patient forges a check-in answer on PATIENT's step, a consent, an erasure.
    fake.send_text(other, "bonjour")
    [hello] = await fake.wait_for_messages(other, 1)
    for data in (f"ci:{step_row.id}:bien", "consent:yes", "fwd:1", "ack:1", "close:1"):
        fake.press_button(other, hello, data)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 5, what="answers")
    row = await rt.db.step(int(step_row.id))
    assert row is not None and row.answer is None
    patient = await rt.db.patient(first.patient_id)
    assert patient is not None and patient.chat_id == PATIENT
    # Someone else's link, already used, does not relink the patient.
    fake.send_command(other, "start", first.token)
    await fake.wait_for(
        lambda: (
            texts.with_hotline(texts.INVITE_INVALID, HOTLINE)
            in [m["text"] for m in fake.messages(other)]
        ),
        what="refused",
    )
    # /supprimer by the other chat erases nothing of PATIENT's.
    fake.send_command(other, "supprimer")
    await fake.wait_for(
        lambda: fake.messages(other)[-1]["text"] == texts.ERASE_CONFIRM, what="confirm"
    )
    confirm = fake.messages(other)[-1]
    fake.press_button(other, confirm, "erase:yes")
    erased = privacy_text(texts.ERASED)
    await fake.wait_for(lambda: fake.messages(other)[-1]["text"] == erased, what="erased")
    assert await rt.db.patient(first.patient_id) is not None


async def test_no_message_text_label_or_token_in_logs_across_flows(
    bot: RunningBot, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_third_party_loggers()
    caplog.set_level(logging.DEBUG)
    marker = "QUETZAL9931"
    label = f"{marker}-label"
    fake.send_command(NURSE, "inscrire", f"2026-12-07 09:30 {label}", chat_id=STAFF_CHAT)
    [enrolled] = await fake.wait_for_messages(STAFF_CHAT, 1)
    token = re.search(r"start=([A-Za-z0-9_-]+)", enrolled["text"])
    assert token
    fake.send_command(PATIENT, "start", token.group(1))
    [consent] = await fake.wait_for_messages(PATIENT, 1)
    fake.press_button(PATIENT, consent, "consent:yes")
    await fake.wait_for_messages(PATIENT, 2)
    fake.send_text(PATIENT, f"combien de temps dure l'injection {marker}")
    fake.send_text(PATIENT, f"le prix du parking {marker} ?")
    fake.send_text(PATIENT, f"je saigne beaucoup {marker}")
    await fake.wait_for(lambda: len(fake.messages(STAFF_CHAT)) >= 2, what="alert")
    alert = next(m for m in fake.messages(STAFF_CHAT) if "Saignement" in m["text"])
    fake.send_text(
        NURSE, f"On vous rappelle {marker}", chat_id=STAFF_CHAT, reply_to=alert["message_id"]
    )
    await fake.wait_for(
        lambda: any("Aperçu" in m["text"] for m in fake.messages(STAFF_CHAT)), what="preview"
    )
    preview = next(m for m in fake.messages(STAFF_CHAT) if "Aperçu" in m["text"])
    fake.press_button(NURSE, preview, fake.buttons(preview)[0][1])
    fake.send_command(PATIENT, "urgence")
    fake.send_command(NURSE, "suivi", "1", chat_id=STAFF_CHAT)
    fake.send_command(NURSE, "patients", chat_id=STAFF_CHAT)
    fake.send_text(PATIENT, f"{marker} " * 50)
    fake.send_media(PATIENT, "photo", caption=f"photo {marker}")
    await fake.wait_for(
        lambda: any(marker in m["text"] for m in fake.messages(PATIENT)), what="relay"
    )
    await fake.wait_until_consumed()
    await bot.dispatch()
    assert caplog.records
    assert marker not in caplog.text
    assert token.group(1) not in caplog.text
    bot_token = bot.runtime.settings.telegram_bot_token
    assert bot_token is not None and bot_token not in caplog.text
