"""Urgent messages end to end, over real HTTP: patient reply, staff alert, acknowledgement,
relay, re-notification, faults and restarts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot import texts
from bot.config import Settings
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
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock


async def _urgent_alert(fake: FakeBotAPI, text: str = "je saigne beaucoup depuis ce matin") -> dict:  # type: ignore[type-arg]
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in reply["text"]
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    return alert


async def _relay(fake: FakeBotAPI, post: dict, text: str, who: int = NURSE) -> dict:  # type: ignore[type-arg]
    """Reply to a staff post, then press 'Envoyer au patient' under the preview."""
    before = len(fake.messages(STAFF_CHAT))
    fake.send_text(who, text, chat_id=STAFF_CHAT, reply_to=post["message_id"])
    *_, preview = await fake.wait_for_messages(STAFF_CHAT, before + 1)
    assert texts.RELAY_SEND_BUTTON in [b for b, _ in fake.buttons(preview)]
    fake.press_button(who, preview, fake.buttons(preview)[0][1])
    return preview


async def test_urgent_message_end_to_end(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    # The patient got the phone number before the staff post was even attempted.
    sends = [c for c in fake.calls("sendMessage") if c["status"] == 200]
    assert int(sends[0]["params"]["chat_id"]) == PATIENT
    assert "Saignement" in alert["text"]
    assert "patient non inscrit" in alert["text"]
    assert "je saigne beaucoup depuis ce matin" in alert["text"]
    assert [d for _, d in fake.buttons(alert)] == ["ack:1", "close:1"]

    fake.press_button(NURSE, alert, fake.buttons(alert)[0][1])
    await fake.wait_for(
        lambda: "Pris en charge par Claire" in fake.messages(STAFF_CHAT)[0]["text"],
        what="alert post edited",
    )
    [_, notice] = await fake.wait_for_messages(PATIENT, 2)
    assert notice["text"] == texts.with_hotline(texts.ALERT_ACKNOWLEDGED, HOTLINE)
    assert [b for b, _ in fake.buttons(fake.messages(STAFF_CHAT)[0])] == [texts.STAFF_CLOSE_BUTTON]

    preview = await _relay(fake, alert, "Bonjour, je vous rappelle dans 5 minutes.")
    [*_, relayed] = await fake.wait_for_messages(PATIENT, 3)
    assert relayed["text"] == texts.STAFF_REPLY_TO_PATIENT.format(
        text="Bonjour, je vous rappelle dans 5 minutes."
    )
    assert "Claire" not in relayed["text"]  # staff identities stay private
    await fake.wait_for(
        lambda: (
            "Envoyé par Claire"
            in (fake.message(STAFF_CHAT, preview["message_id"]) or {}).get("text", "")
        ),
        what="preview marked sent",
    )


async def test_second_press_says_who_took_it(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    data = fake.buttons(alert)[0][1]
    fake.press_button(NURSE, alert, data)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 1, what="first answer")
    other = 901
    fake.add_user(other, "Marc")
    fake.set_member(STAFF_CHAT, other, "member")
    fake.press_button(other, alert, data)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 2, what="second answer")
    assert fake.callback_answers()[1]["text"] == texts.STAFF_ALREADY_ACK.format(name="Claire")
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.acknowledged_by == NURSE


async def test_non_staff_press_is_refused(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    fake.press_button(OUTSIDER, alert, fake.buttons(alert)[0][1])
    await fake.wait_for(lambda: len(fake.callback_answers()) == 1, what="refusal")
    answer = fake.callback_answers()[0]
    assert answer["text"] == texts.STAFF_NOT_ALLOWED and answer["show_alert"]
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.status == "open"
    assert len(fake.messages(PATIENT)) == 1  # the patient was not told anything false


async def test_forged_button_data_never_acts(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    for data in ("ack:999", "ack:abc", "close:2", "ack:"):
        fake.press_button(NURSE, alert, data)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 4, what="answers")
    assert {a["text"] for a in fake.callback_answers()} == {texts.STAFF_UNKNOWN_ALERT}
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.status == "open"


async def test_html_in_patient_message_is_shown_literally(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake, "<b>urgent</b> & je saigne <a href='x'>beaucoup</a>")
    assert "<b>urgent</b> & je saigne <a href='x'>beaucoup</a>" in alert["text"]


async def test_unacknowledged_alert_is_posted_again(bot: RunningBot, fake: FakeBotAPI) -> None:
    await _urgent_alert(fake)
    bot.clock.advance(timedelta(minutes=5))
    await bot.dispatch()
    assert len(fake.messages(STAFF_CHAT)) == 1
    for n in range(2, 5):
        bot.clock.advance(timedelta(minutes=10))
        await bot.dispatch()
        assert len(fake.messages(STAFF_CHAT)) == n
        assert fake.messages(STAFF_CHAT)[-1]["text"].startswith("🔁 Rappel")
    # ESCALATION_MAX_RENOTIFY = 3 re-posts, then the policy's next step: the group is told
    # the alert was escalated, and the patient is told to call rather than wait.
    bot.clock.advance(timedelta(minutes=30))
    await bot.dispatch()
    staff = fake.messages(STAFF_CHAT)
    assert len(staff) == 5 and "Alerte n° 1 toujours sans prise en charge" in staff[-1]["text"]
    [_, told] = await fake.wait_for_messages(PATIENT, 2)
    assert told["text"] == texts.with_hotline(texts.ESCALATION_PATIENT_CALL, HOTLINE)
    bot.clock.advance(timedelta(minutes=30))
    await bot.dispatch()
    assert len(fake.messages(STAFF_CHAT)) == 5 and len(fake.messages(PATIENT)) == 2


async def test_staff_outage_then_recovery_delivers_the_alert_once(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    fake.add_fault("sendMessage", 500, times=2, chat_id=STAFF_CHAT)
    fake.add_fault("sendMessage", 429, retry_after=1, times=1, chat_id=STAFF_CHAT)
    fake.add_fault("sendMessage", 502, times=1, chat_id=STAFF_CHAT)
    fake.send_text(PATIENT, "j'ai 39,5 de fièvre et des frissons")
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in reply["text"]
    for _ in range(12):
        bot.clock.advance(timedelta(seconds=30))
        await bot.dispatch()
    await fake.wait_for_messages(STAFF_CHAT, 1)
    staff_sends = [
        c for c in fake.calls("sendMessage") if int(c["params"]["chat_id"]) == STAFF_CHAT
    ]
    assert len(fake.messages(STAFF_CHAT)) == 1
    assert [c["status"] for c in staff_sends][-1] == 200
    assert sum(c["status"] != 200 for c in staff_sends) >= 4


async def test_restart_between_alert_and_delivery_delivers_once(
    settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    fake.add_fault("sendMessage", 500, times=100, chat_id=STAFF_CHAT)
    first = await start_bot(settings, clock, fake)
    try:
        fake.send_text(PATIENT, "je n'arrive plus à respirer")
        [reply] = await fake.wait_for_messages(PATIENT, 1)
        assert "15" in reply["text"] and HOTLINE in reply["text"]
        await fake.wait_for(
            lambda: any(
                int(c["params"]["chat_id"]) == STAFF_CHAT for c in fake.calls("sendMessage")
            ),
            what="a first failed attempt",
        )
    finally:
        await stop_bot(first)
    assert fake.messages(STAFF_CHAT) == []
    fake.clear_faults()
    second = await start_bot(settings, clock, fake)
    try:
        clock.advance(timedelta(minutes=1))
        await second.dispatch()
        [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
        assert "respirer" in alert["text"]
        await second.dispatch()
        assert len(fake.messages(STAFF_CHAT)) == 1
    finally:
        await stop_bot(second)


async def test_messages_during_open_alert_join_the_thread(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    alert = await _urgent_alert(fake)
    fake.send_text(PATIENT, "le saignement continue, que dois-je faire")
    [_, second] = await fake.wait_for_messages(PATIENT, 2)
    assert HOTLINE in second["text"]
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [*_, third] = await fake.wait_for_messages(PATIENT, 3)
    assert third["text"] == texts.with_hotline(texts.FOLLOWUP_FORWARDED, HOTLINE)
    posts = await fake.wait_for_messages(STAFF_CHAT, 3)
    assert all(p["reply_to_message_id"] == alert["message_id"] for p in posts[1:])
    assert "combien de temps dure" in posts[2]["text"]


async def test_close_with_command_reply(bot: RunningBot, fake: FakeBotAPI) -> None:
    alert = await _urgent_alert(fake)
    fake.send_command(NURSE, "clore", chat_id=STAFF_CHAT, reply_to=alert["message_id"])
    await fake.wait_for(lambda: "Clos" in fake.messages(STAFF_CHAT)[0]["text"], what="alert closed")
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.status == "closed"
    # After closing, the patient's questions are answered by the FAQ again.
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    [*_, answer] = await fake.wait_for_messages(PATIENT, 2)
    assert "30 minutes" in answer["text"]


async def test_urgence_command_and_non_staff_cannot_close(
    settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    # With an allow-list, a group member who is not on it is not staff.
    bot = await start_bot(replace(settings, staff_user_ids=frozenset({NURSE})), clock, fake)
    try:
        fake.send_command(PATIENT, "urgence")
        [reply] = await fake.wait_for_messages(PATIENT, 1)
        assert HOTLINE in reply["text"]
        [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
        fake.send_command(OUTSIDER, "clore", chat_id=STAFF_CHAT, reply_to=alert["message_id"])
        fake.send_command(PATIENT, "clore", args="1")
        [_, refusal] = await fake.wait_for_messages(PATIENT, 2)
        assert refusal["text"] == texts.STAFF_NOT_ALLOWED
        fake.press_button(OUTSIDER, alert, fake.buttons(alert)[0][1])
        await fake.wait_for(lambda: len(fake.callback_answers()) == 1, what="refusal")
        row = await bot.runtime.db.alert(1)
        assert row is not None and row.status == "open"
        assert len(fake.messages(STAFF_CHAT)) == 1
        # The nurse on the allow-list can.
        fake.send_command(NURSE, "clore", chat_id=STAFF_CHAT, reply_to=alert["message_id"])
        await fake.wait_for(
            lambda: "Clos" in fake.messages(STAFF_CHAT)[0]["text"], what="alert closed"
        )
    finally:
        await stop_bot(bot)


async def test_unanswered_question_can_be_forwarded_and_answered(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    fake.send_text(PATIENT, "est-ce que la mutuelle rembourse le parking ?")
    [fallback] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in fallback["text"]
    [(label, data)] = fake.buttons(fallback)
    assert label == texts.FORWARD_BUTTON
    fake.press_button(PATIENT, fallback, data)
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "mutuelle rembourse le parking" in post["text"]
    [_, ack] = await fake.wait_for_messages(PATIENT, 2)
    assert ack["text"] == texts.with_hotline(texts.QUESTION_FORWARDED, HOTLINE)
    # Another chat cannot forward someone else's question with forged data.
    fake.send_text(OUTSIDER, "bonjour")
    [hello] = await fake.wait_for_messages(OUTSIDER, 1)
    fake.press_button(OUTSIDER, hello, data)
    await fake.wait_for(
        lambda: any(a["text"] == texts.STALE_BUTTON for a in fake.callback_answers()),
        what="forged forward refused",
    )
    await _relay(fake, post, "Non, le parking n'est pas remboursé.")
    [*_, relayed] = await fake.wait_for_messages(PATIENT, 3)
    assert "le parking n'est pas remboursé" in relayed["text"]
    assert len(fake.messages(STAFF_CHAT)) == 2  # the post and the preview


# --- #10: what reaches staff, by kind of message (a table, over real HTTP) ----------------------

TRIAGE_FLOWS = [
    # (message, staff post expected to contain, patient reply must contain)
    ("ça n'arrête pas de saigner", "Saignement", [HOTLINE]),
    # The word itself (session 16: it used to get the FAQ fallback).
    ("je crois que je fais un AVC", "AVC", [HOTLINE, "15", "112"]),
    ("I can't breathe", "Difficulté à respirer", [HOTLINE, "15", "112", "right now"]),
    ("personne ne répond au téléphone", "demande de contact", ["15"]),
    ("j'ai la diarrhée depuis hier", "Signalement non urgent", [HOTLINE]),
    ("je ne pourrai pas venir demain", "Demande d'organisation", []),
    # A call asked for about the appointment alone: a request, the line for the patient.
    (
        "pourriez-vous me rappeler pour décaler mon rendez-vous ?",
        "Demande d'organisation",
        [HOTLINE],
    ),
]


@pytest.mark.parametrize(("text", "staff_sees", "patient_sees"), TRIAGE_FLOWS)
async def test_each_kind_of_message_reaches_staff(
    bot: RunningBot, fake: FakeBotAPI, text: str, staff_sees: str, patient_sees: list[str]
) -> None:
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    for part in patient_sees:
        assert part in reply["text"], (part, reply["text"])
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert staff_sees.lower() in post["text"].lower()
    assert text in post["text"]


async def test_pain_named_in_a_question_gets_the_answer_and_the_staff_note(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    # Dictated, no question mark: the question is still answered from the page, and the pain
    # it names still reaches the team as a non-urgent note (nothing is lost either way).
    text = "est-ce que c'est vraiment efficace le botox pour mes douleurs j'ai déjà tout essayé"
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    efficacy = bot.runtime.content.conversation.faq.get("efficacite")
    assert efficacy is not None
    assert efficacy.answer.split("\n")[0][:40] in reply["text"]
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "signalement non urgent" in post["text"].lower()
    assert text in post["text"]


async def test_two_questions_naming_pain_get_both_answers_and_the_staff_note(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    text = (
        "Le botox est indiqué pour quelles douleurs ? Et on le propose en premier ou après"
        " l'échec des autres traitements ?"
    )
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    faq = bot.runtime.content.conversation.faq
    for entry_id in ("indications", "deuxieme_intention"):
        entry = faq.get(entry_id)
        assert entry is not None
        assert entry.answer.split("\n")[0][:40] in reply["text"], entry_id
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "signalement non urgent" in post["text"].lower()
    assert text in post["text"]


async def test_a_feeling_told_with_a_symptom_is_heard_and_noted(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    text = "je me sens découragée, la douleur est toujours là"
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert reply["text"].startswith("Ce que vous ressentez est tout à fait compréhensible")
    assert HOTLINE in reply["text"]
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "signalement non urgent" in post["text"].lower()
    assert text in post["text"]


@pytest.mark.parametrize(
    "text", ["j'avais saigné un peu mais c'est fini", "et si j'avais du mal à avaler ?"]
)
async def test_past_or_hypothetical_symptoms_raise_no_alert(
    bot: RunningBot, fake: FakeBotAPI, text: str
) -> None:
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in reply["text"]
    await bot.dispatch()
    assert fake.messages(STAFF_CHAT) == []
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM alerts")
    assert row is not None and row[0] == 0


@pytest.mark.parametrize(
    # "désolé, stop" used to raise a staff alert: politeness around the word changes nothing.
    "text",
    ["STOP", "ok stop", "désolé, stop"],
)
async def test_stop_in_words_runs_the_stop_flow(
    bot: RunningBot, fake: FakeBotAPI, text: str
) -> None:
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert reply["text"] == texts.with_hotline(texts.STOPPED, HOTLINE)
    await bot.dispatch()
    assert fake.messages(STAFF_CHAT) == []
