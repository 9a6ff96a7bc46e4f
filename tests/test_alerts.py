"""Alerts that never fall through (#11, #12), over real HTTP: threads and kinds, escaping and
fitting, relay drafts, the escalation policy, buttons bound to their chat, storage faults,
and the durable inbox across SIGKILL with a real process."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from bot import texts
from bot.config import Settings
from bot.render import TELEGRAM_MAX, split_lines, utf16_len
from bot.triage import TriageResult
from tests.conftest import (
    HOTLINE,
    NURSE,
    OUTSIDER,
    PATIENT,
    STAFF_CHAT,
    RunningBot,
    start_bot,
    stop_bot,
)
from tests.fakes.bot_api import FakeBotAPI, parse_html
from tests.helpers import FakeClock
from tests.test_escalation import _relay, _urgent_alert
from tests.test_faults import _bot_env, spawn_bot


async def test_urgent_after_forwarded_question_gets_its_own_alert(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    fake.send_text(PATIENT, "est-ce que la mutuelle rembourse le parking ?")
    [fallback] = await fake.wait_for_messages(PATIENT, 1)
    fake.press_button(PATIENT, fallback, fake.buttons(fallback)[0][1])
    [question] = await fake.wait_for_messages(STAFF_CHAT, 1)
    fake.send_text(PATIENT, "je saigne beaucoup")
    [*_, reply] = await fake.wait_for_messages(PATIENT, 3)
    assert HOTLINE in reply["text"]
    [_, alert] = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert "Saignement" in alert["text"] and alert.get("reply_to_message_id") is None
    assert [d for _, d in fake.buttons(alert)] == ["ack:2", "close:2"]
    row = await bot.runtime.db.alert(2)
    assert row is not None and row.kind == "urgent" and row.status == "open"
    assert question["message_id"] != alert["message_id"]


async def test_human_request_joins_the_urgent_thread(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    fake.send_command(PATIENT, "urgence")
    await fake.wait_for_messages(PATIENT, 2)
    [_, post] = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert post["reply_to_message_id"] == alert["message_id"]
    assert "Nouveau message urgent" in post["text"] and fake.buttons(post)
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM alerts")
    assert row is not None and row[0] == 1


@pytest.mark.parametrize(
    "text",
    [
        "je me demandais si un médecin pouvait me rappeler",
        "est-ce que je pourrais joindre un médecin maintenant ?",
    ],
)
async def test_a_polite_request_for_a_person_alerts_the_staff(
    bot: RunningBot, fake: FakeBotAPI, text: str
) -> None:
    """Politeness (an imperfect, a conditional) is not the past: the patient gets the line
    and the staff an alert to acknowledge."""
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in reply["text"]
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert text in alert["text"] and "ack:1" in [d for _, d in fake.buttons(alert)]
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.severity == "humain" and row.status == "open"


async def test_staff_reply_with_markup_characters_reaches_the_patient(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake)
    text = "Si tension < 10 & malaise, appelez le 15 <b>tout de suite</b>"
    await _relay(fake, alert, text)
    [*_, relayed] = await fake.wait_for_messages(PATIENT, 3)
    assert relayed["text"] == texts.STAFF_REPLY_TO_PATIENT.format(text=text)


async def test_no_staff_text_reaches_the_patient_without_send(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake)
    fake.send_text(NURSE, "@Marie tu peux voir ?", chat_id=STAFF_CHAT, reply_to=alert["message_id"])
    [_, preview] = await fake.wait_for_messages(STAFF_CHAT, 2)
    fake.press_button(NURSE, preview, fake.buttons(preview)[1][1])  # Annuler
    await fake.wait_for(lambda: len(fake.callback_answers()) == 1, what="cancel answered")
    fake.press_button(NURSE, preview, fake.buttons(preview)[0][1])  # too late to send
    await fake.wait_for(lambda: len(fake.callback_answers()) == 2, what="send refused")
    assert fake.callback_answers()[1]["text"] == texts.RELAY_DRAFT_GONE
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == 1  # only the line, nothing from staff
    # Nor can a non-staff member send a preview.
    fake.send_text(NURSE, "Je vous rappelle.", chat_id=STAFF_CHAT, reply_to=alert["message_id"])
    [*_, second] = await fake.wait_for_messages(STAFF_CHAT, 3)
    fake.press_button(OUTSIDER, second, fake.buttons(second)[0][1])
    await fake.wait_for(lambda: len(fake.callback_answers()) == 3, what="outsider refused")
    assert fake.callback_answers()[2]["text"] == texts.STAFF_NOT_ALLOWED
    await bot.dispatch()
    assert len(fake.messages(PATIENT)) == 1


async def test_long_staff_reply_is_split_and_delivered(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    text = ("Voici ce qu'il faut faire ce soir. " * 120).strip()  # about 4,100 characters
    await _relay(fake, alert, text)
    # The line, "un membre de l'équipe s'en occupe" (sending is taking charge), two parts.
    await fake.wait_for_messages(PATIENT, 4)
    await asyncio.sleep(0.2)
    await bot.dispatch()
    msgs = fake.messages(PATIENT)[2:]
    assert len(msgs) == 2 and all(utf16_len(m["text"]) <= 4096 for m in msgs)
    assert " ".join(m["text"] for m in msgs).replace("\n", " ").count("Voici") == 120


async def test_urgent_message_with_2000_emoji_reaches_staff(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake, "je saigne beaucoup " + "😭" * 2000)
    assert utf16_len(alert["text"]) <= 4096
    assert texts.TRUNCATED.strip() in alert["text"] and "je saigne beaucoup" in alert["text"]
    assert fake.buttons(alert)


async def test_rejected_staff_post_is_resent_as_plain_text(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    fake.add_fault("sendMessage", 400, times=1, chat_id=STAFF_CHAT, description="Bad Request")
    fake.send_text(PATIENT, "je saigne beaucoup")
    await fake.wait_for_messages(PATIENT, 1)
    for _ in range(3):
        await bot.dispatch()
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "je saigne beaucoup" in alert["text"] and fake.buttons(alert)
    # Follow-ups then thread under it instead of waiting.
    fake.send_text(PATIENT, "ça continue")
    await fake.wait_for_messages(PATIENT, 2)
    await bot.dispatch()
    [_, follow] = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert follow["reply_to_message_id"] == alert["message_id"]


async def test_patient_buttons_refused_in_the_staff_group(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake)
    fake.send_text(PATIENT, "est-ce que la mutuelle rembourse ?")  # a pending question row
    await fake.wait_for_messages(PATIENT, 2)
    for data in ("erase:yes", "consent:yes", "fwd:1", "ci:1:7", "faq:duree"):
        fake.press_button(NURSE, alert, data)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 5, what="answers")
    assert {a["text"] for a in fake.callback_answers()} == {texts.STALE_BUTTON}
    await bot.dispatch()
    # Nothing posted in the group but the alert and the question's follow-up.
    assert len(fake.messages(STAFF_CHAT)) == 2
    assert await bot.runtime.db.patient_by_chat(PATIENT) is None
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM alerts")
    assert row is not None and row[0] == 1
    # Staff buttons are refused in a private chat.
    fallback = fake.messages(PATIENT)[-1]
    fake.press_button(PATIENT, fallback, "ack:1")
    await fake.wait_for(lambda: len(fake.callback_answers()) == 6, what="private ack")
    stored = await bot.runtime.db.alert(1)
    assert stored is not None and stored.status == "open"


async def test_anonymous_admin_is_not_staff_by_default(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    anonymous = 1087968824  # GroupAnonymousBot
    fake.add_user(anonymous, "Group", username="GroupAnonymousBot")
    fake.set_member(STAFF_CHAT, anonymous, "administrator")
    fake.press_button(anonymous, alert, fake.buttons(alert)[0][1])
    await fake.wait_for(lambda: len(fake.callback_answers()) == 1, what="refusal")
    assert fake.callback_answers()[0]["text"] == texts.STAFF_NOT_ALLOWED
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.status == "open"


async def test_quiet_thread_closes_by_itself_and_patient_is_told(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake)
    fake.press_button(NURSE, alert, fake.buttons(alert)[0][1])
    await fake.wait_for_messages(PATIENT, 2)
    bot.clock.advance(timedelta(hours=5))
    await bot.dispatch()  # acknowledged 4 h ago and not closed: one reminder
    posts = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert "toujours ouverte" in posts[-1]["text"]
    bot.clock.advance(timedelta(hours=13))
    await bot.dispatch()
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.status == "auto_closed"
    [*_, told] = await fake.wait_for_messages(PATIENT, 3)
    assert told["text"] == texts.with_hotline(texts.THREAD_CLOSED_PATIENT, HOTLINE)
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [*_, answer] = await fake.wait_for_messages(PATIENT, 4)
    assert "30 minutes" in answer["text"]


async def test_oncall_is_paged_after_the_last_repost(
    settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    oncall = 777
    fake.add_user(oncall, "Astreinte")
    bot = await start_bot(replace(settings, oncall_user_ids=frozenset({oncall})), clock, fake)
    try:
        await _urgent_alert(fake)
        for _ in range(4):
            clock.advance(timedelta(minutes=10))
            await bot.dispatch()
        [page] = await fake.wait_for_messages(oncall, 1)
        assert "Astreinte" in page["text"] and "alerte n° 1" in page["text"]
    finally:
        await stop_bot(bot)


async def test_open_alerts_listed_oldest_first(bot: RunningBot, fake: FakeBotAPI) -> None:
    await _urgent_alert(fake)
    fake.send_command(NURSE, "alertes", chat_id=STAFF_CHAT)
    [*_, listing] = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert "n° 1" in listing["text"] and "en attente" in listing["text"]
    fake.send_command(NURSE, "aide", chat_id=STAFF_CHAT)
    [*_, helptext] = await fake.wait_for_messages(STAFF_CHAT, 3)
    assert "/alertes" in helptext["text"]


async def test_long_open_alerts_list_is_split_to_fit(bot: RunningBot, fake: FakeBotAPI) -> None:
    """80 open alerts on a busy night: /alertes comes as several messages that Telegram
    accepts (the 50 oldest, then a line saying there are more), not one it would refuse."""
    esc = bot.runtime.escalation
    assert esc is not None
    found = TriageResult(severity="urgent", categories=("saignement",), labels=("Saignement",))
    for i in range(80):
        await esc.raise_alert(9000 + i, "je saigne", found, told="la ligne", update_id=None)
    fake.send_command(NURSE, "alertes", chat_id=STAFF_CHAT)
    await fake.wait_for(
        lambda: any("d'autres alertes" in m["text"] for m in fake.messages(STAFF_CHAT)),
        timeout=10,
        what="the whole listing",
    )
    listing = [m["text"] for m in fake.messages(STAFF_CHAT) if "en attente" in m["text"]]
    assert len(listing) >= 2
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in listing)
    shown = "\n".join(listing)
    assert all(f"n° {i} " in shown for i in range(1, 51)) and "n° 51 " not in shown
    assert listing[-1].endswith(texts.STAFF_OPEN_ALERTS_MORE.format(n=50))


async def test_storage_fault_on_urgent_message(bot: RunningBot, fake: FakeBotAPI) -> None:
    """The database refuses writes (as on a full disk or a read-only file): the patient
    still gets the line, staff get a direct post, and the alert is stored once storage is
    back. (A real full tmpfs needs root to mount; query_only fails writes the same way.)"""
    db = bot.runtime.db
    await db.conn.execute("PRAGMA query_only = ON")
    fake.send_text(PATIENT, "je n'arrive plus à respirer")
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in reply["text"] and "15" in reply["text"]
    [direct] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "Base de données indisponible" in direct["text"] and "respirer" in direct["text"]
    assert bot.runtime.session.pending
    await db.conn.execute("PRAGMA query_only = OFF")
    await bot.dispatch()
    await bot.dispatch()
    [_, stored] = await fake.wait_for_messages(STAFF_CHAT, 2)
    assert "respirer" in stored["text"] and fake.buttons(stored)
    assert not bot.runtime.session.pending


# --- the durable inbox, with a real process -----------------------------------------------


async def _kill_during_urgent(
    settings: Settings, fake: FakeBotAPI, kill_after: float
) -> tuple[int, int]:
    """Telegram slow to take the patient's reply; the process is SIGKILLed mid-way."""
    env = _bot_env(settings, fake)
    fake.add_fault("sendMessage", 200, delay=3.0, times=1, chat_id=PATIENT)
    proc = spawn_bot(env)
    try:
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 1, timeout=20, what="up")
        fake.send_text(PATIENT, "je saigne beaucoup depuis ce matin")
        await fake.wait_for(
            lambda: (
                any(int(c["params"].get("offset") or 0) > 0 for c in fake.calls("getUpdates"))
                or len(fake.calls("sendMessage")) > 0
            ),
            timeout=10,
            what="update fetched",
        )
        await asyncio.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    fake.clear_faults()
    polls = len(fake.calls("getUpdates"))
    proc = spawn_bot(env)
    try:
        # The restarted process must be up (polling, its SIGTERM handler installed) before it
        # is stopped: the messages counted may all come from the killed one.
        await fake.wait_for(
            lambda: (
                len(fake.messages(STAFF_CHAT)) >= 1
                and len(fake.messages(PATIENT)) >= 1
                and len(fake.calls("getUpdates")) > polls
            ),
            timeout=30,
            what="reply and alert after restart",
        )
        await asyncio.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    return len(fake.messages(PATIENT)), len(fake.messages(STAFF_CHAT))


async def test_sigkill_while_handling_an_urgent_message_loses_nothing(
    settings: Settings,
) -> None:
    results = []
    for kill_after in (0.3, 1.0, 2.0):
        fake = FakeBotAPI(token="123456:TEST-TOKEN-abcdefghij", bot_username="b", bot_id=123456)
        fake.start()
        try:
            fake.add_group(STAFF_CHAT, "Équipe")
            fake.add_user(PATIENT, "Patient")
            db_path = settings.database_path.with_name(f"kill-{kill_after}.db")
            patients, staff = await _kill_during_urgent(
                replace(settings, database_path=db_path), fake, kill_after
            )
        finally:
            fake.stop()
        results.append((kill_after, patients, staff))
    print("SIGKILL during urgent (kill after s, patient replies, staff alerts):", results)
    for _, patients, staff in results:
        assert staff == 1  # exactly one alert: never lost, never doubled
        assert 1 <= patients <= 2  # the line at least once; twice if killed after delivery


async def test_sigkill_with_a_backlog_loses_no_urgent_message(
    settings: Settings, fake: FakeBotAPI
) -> None:
    env = _bot_env(settings, fake)
    fake.add_fault("sendMessage", 200, delay=0.05, times=100_000)
    proc = spawn_bot(env)
    try:
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 1, timeout=20, what="up")
        for i in range(300):
            fake.send_text(5000 + i % 100, "combien de temps dure l'injection ?")
        fake.send_text(PATIENT, "je saigne beaucoup depuis ce matin")
        await asyncio.sleep(1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    fake.clear_faults()
    proc = spawn_bot(env)
    try:
        await fake.wait_for(
            lambda: len(fake.messages(STAFF_CHAT)) >= 1 and len(fake.messages(PATIENT)) >= 1,
            timeout=60,
            what="urgent reply and alert after restart",
        )
        await fake.wait_for(
            lambda: len({m["chat_id"] for m in fake.all_messages()}) >= 102,
            timeout=60,
            what="every patient answered",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    per_chat = Counter(m["chat_id"] for m in fake.all_messages())
    assert per_chat[STAFF_CHAT] == 1
    assert HOTLINE in fake.messages(PATIENT)[0]["text"]
    answered = sum(1 for c in per_chat if 5000 <= c < 5100)
    print(f"backlog SIGKILL: {answered}/100 askers answered, staff alerts {per_chat[STAFF_CHAT]}")
    assert answered == 100


@pytest.mark.parametrize(
    "markup",
    [
        "\n".join(f"<b>n° {i}</b> · ligne" for i in range(600)),
        "<b>titre</b>\n" + "&lt;" * 5000,  # one line alone longer than a message
        "😀" * 3000 + "\n" + "court",
    ],
    ids=["many lines", "one huge line", "emoji line"],
)
def test_split_lines_always_fits(markup: str) -> None:
    chunks = split_lines(markup)
    assert chunks and all(utf16_len(c) <= TELEGRAM_MAX for c in chunks)
    for chunk in chunks:
        parse_html(chunk)  # raises as Telegram would on invalid HTML
