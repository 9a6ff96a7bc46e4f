"""The FAQ as patients meet it in Telegram, over real HTTP: answers, "did you mean" buttons,
the honest fallback, browsing by theme, and reloading edited content."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot import texts
from bot.config import PROJECT_ROOT, Settings
from bot.telegram.app import watch_content
from tests.conftest import HOTLINE, NURSE, PATIENT, STAFF_CHAT, RunningBot, start_bot, stop_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock


async def test_question_gets_its_answer(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_text(PATIENT, "cb de tps ca dure linjection ?")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    entry = bot.runtime.content.conversation.faq.get("duree")
    assert entry is not None
    assert msg["text"].startswith(entry.answer)


async def test_ambiguous_question_offers_buttons_and_a_press_answers(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    # Truly ambiguous (issue 9: "c est quoi le syndrome et comment ca marche" asks two things
    # and now gets both answers, see tests/test_faq.py; "les spasmes et le botox ?" is now
    # answered: the learned second reader agrees with the matcher on the mechanism card).
    fake.send_text(PATIENT, "les releveurs et le botox ?")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.CLARIFY
    buttons = fake.buttons(msg)
    assert 3 <= len(buttons) <= 4
    assert buttons[-1] == (texts.CLARIFY_NONE, "faq:-")
    ids = [data.removeprefix("faq:") for _, data in buttons[:-1]]
    assert {"syndrome", "indications"} <= set(ids)
    fake.press_button(PATIENT, msg, "faq:syndrome")
    [_, answer] = await fake.wait_for_messages(PATIENT, 2)
    entry = bot.runtime.content.conversation.faq.get("syndrome")
    assert entry is not None and answer["text"].startswith(entry.answer)
    fake.press_button(PATIENT, msg, "faq:-")
    [*_, other] = await fake.wait_for_messages(PATIENT, 3)
    assert other["text"] == texts.with_hotline(texts.CLARIFY_NONE_REPLY, HOTLINE)
    row = await bot.runtime.db.fetchone("SELECT kind FROM unanswered")
    assert row is not None and row["kind"] == "clarify"


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("combien ça coûte ?", "le prix"),
        ("est-ce que la sécu rembourse ?", "le prix"),
        ("est ce que je pourrai conduire pour rentrer", "si vous pouvez conduire"),
        ("combien de temps dure l'effet du botox ?", "quand l'effet du botox commence"),
        ("arrêt de travail ?", "s'il faut un arrêt de travail"),
    ],
)
async def test_out_of_scope_gets_the_honest_fallback(
    bot: RunningBot, fake: FakeBotAPI, question: str, missing: str
) -> None:
    # Issue 9: the reply names the subject the page does not cover, and states no page fact.
    fake.send_text(PATIENT, question)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"].startswith("La page de l'hôpital ne précise pas " + missing)
    assert HOTLINE in msg["text"]
    assert [b for b, _ in fake.buttons(msg)] == [texts.FORWARD_BUTTON]


async def test_a_story_telling_a_history_gets_its_card_and_the_history_reaches_the_team(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    # Round 46: the dressing is a page fact; the diabetes is for the team (note and button).
    story = (
        "J'ai 61 ans, je suis diabétique depuis longtemps et ma peau est fragile avec les"
        " pansements. Après la piqûre, est-ce que j'aurai un gros bandage ?"
    )
    fake.send_text(PATIENT, story)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    entry = bot.runtime.content.conversation.faq.get("pansement")
    assert entry is not None and msg["text"].startswith(entry.answer)
    assert texts.with_hotline(texts.HISTORY_BESIDE_ANSWER, HOTLINE) in msg["text"]
    (label, data) = fake.buttons(msg)[-1]
    assert label == texts.FORWARD_BUTTON
    fake.press_button(PATIENT, msg, data)
    [post] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "je suis diabétique" in post["text"]


async def test_browse_questions_by_theme(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_command(PATIENT, "questions")
    [themes] = await fake.wait_for_messages(PATIENT, 1)
    faq = bot.runtime.content.conversation.faq
    assert [b for b, _ in fake.buttons(themes)] == [t for t, _ in faq.themes]
    fake.press_button(PATIENT, themes, fake.buttons(themes)[2][1])
    [_, theme] = await fake.wait_for_messages(PATIENT, 2)
    label, entries = faq.themes[2]
    assert theme["text"] == texts.QUESTIONS_THEME.format(theme=label)
    assert [b for b, _ in fake.buttons(theme)] == [e.question for e in entries] + [
        texts.BACK_TO_THEMES
    ]
    fake.press_button(PATIENT, theme, fake.buttons(theme)[0][1])
    [*_, answer] = await fake.wait_for_messages(PATIENT, 3)
    assert answer["text"].startswith(entries[0].answer)
    for forged in ("thm:99", "thm:-1", "faq:../../etc", "faq:" + "x" * 59, "zzz"):
        fake.press_button(PATIENT, theme, forged)
    await fake.wait_for(lambda: len(fake.callback_answers()) == 7, what="callback answers")
    assert [a["text"] for a in fake.callback_answers()[2:]] == [texts.STALE_BUTTON] * 5
    assert len(fake.messages(PATIENT)) == 3


async def test_greetings_and_thanks_are_smalltalk(bot: RunningBot, fake: FakeBotAPI) -> None:
    faq = bot.runtime.content.conversation.faq
    said = [
        "merci beaucoup !",
        "bonjour",
        "au revoir, bonne journée",
        # An apology is no question: reassured, invited to write it.
        "Bonsoir, désolée de vous écrire si tard",
    ]
    for i, text in enumerate(said, 1):
        expected = faq.match(text)
        assert expected.kind == "smalltalk" and expected.smalltalk_reply
        fake.send_text(PATIENT, text)
        msgs = await fake.wait_for_messages(PATIENT, i)
        assert msgs[-1]["text"] == texts.with_hotline(expected.smalltalk_reply, HOTLINE)
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM unanswered")
    assert row is not None and row[0] == 0


async def test_asking_whether_the_bot_is_a_person_alerts_nobody(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    """ "Tu es un robot ou une vraie personne ?" asks about the bot: the identity reply, which
    gives the line, and no alert. Looking for someone behind it still reaches the staff."""
    faq = bot.runtime.content.conversation.faq
    expected = faq.match("Tu es un robot ou une vraie personne ?")
    assert expected.kind == "smalltalk" and expected.smalltalk_reply
    fake.send_text(PATIENT, "Tu es un robot ou une vraie personne ?")
    msgs = await fake.wait_for_messages(PATIENT, 1)
    assert msgs[-1]["text"] == texts.with_hotline(expected.smalltalk_reply, HOTLINE)
    assert HOTLINE in msgs[-1]["text"]
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM alerts")
    assert row is not None and row[0] == 0
    assert fake.messages(STAFF_CHAT) == []
    fake.send_text(PATIENT, "est-ce qu'il y a une vraie personne derrière ce bot ?")
    await fake.wait_for(lambda: len(fake.messages(STAFF_CHAT)) == 1, what="staff alert")
    row = await bot.runtime.db.fetchone("SELECT COUNT(*) FROM alerts")
    assert row is not None and row[0] == 1


@pytest.fixture
def editable_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings on a copy of the FAQ, so the test can break it."""
    faq = tmp_path / "faq"
    shutil.copytree(PROJECT_ROOT / "faq", faq)
    return replace(settings, faq_dir=faq)


async def test_refused_reload_notice_with_a_huge_line_still_reaches_staff(
    editable_settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    """A broken line of 6,000 emoji would make a 12,000-unit notice: it is cut to fit (#12)."""
    bot = await start_bot(editable_settings, clock, fake)
    try:
        broken = editable_settings.faq_dir / "03-jour-j.yaml"
        broken.write_text(broken.read_text(encoding="utf-8") + "\n  - id: [" + "😀" * 6000 + "\n")
        fake.send_command(NURSE, "recharger", chat_id=STAFF_CHAT)
        [report] = await fake.wait_for_messages(STAFF_CHAT, 1)
        assert report["text"].startswith(texts.RELOAD_FAILED)
        assert f"{broken}:" in report["text"]
        assert len(report["text"].encode("utf-16-le")) // 2 <= 4096
    finally:
        await stop_bot(bot)


async def test_reload_with_broken_file_keeps_the_old_faq(
    editable_settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    bot = await start_bot(editable_settings, clock, fake)
    try:
        broken = editable_settings.faq_dir / "03-jour-j.yaml"
        broken.write_text(broken.read_text(encoding="utf-8") + "\n  - id: [oops\n")
        fake.send_command(NURSE, "recharger", chat_id=STAFF_CHAT)
        [report] = await fake.wait_for_messages(STAFF_CHAT, 1)
        assert report["text"].startswith(texts.RELOAD_FAILED)
        assert f"{broken}:" in report["text"]
        fake.send_text(PATIENT, "combien de temps dure l'injection ?")
        [answer] = await fake.wait_for_messages(PATIENT, 1)
        assert "30 minutes" in answer["text"]
        # Fixed file: the next reload succeeds.
        shutil.copy(PROJECT_ROOT / "faq" / "03-jour-j.yaml", broken)
        fake.send_command(NURSE, "recharger", chat_id=STAFF_CHAT)
        [_, ok] = await fake.wait_for_messages(STAFF_CHAT, 2)
        assert ok["text"] == texts.RELOAD_OK
    finally:
        await stop_bot(bot)


async def test_file_change_is_reloaded_without_restart(
    editable_settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    bot = await start_bot(editable_settings, clock, fake)
    try:
        path = editable_settings.faq_dir / "03-jour-j.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("dure environ 30 minutes", "dure environ 30 minutes (MAJ)"))
        await watch_content(bot.runtime)
        fake.send_text(PATIENT, "combien de temps dure l'injection ?")
        [answer] = await fake.wait_for_messages(PATIENT, 1)
        assert "(MAJ)" in answer["text"]
        # A broken edit is refused, reported once to staff, and the last good FAQ stays.
        path.write_text("entries: [\n")
        await watch_content(bot.runtime)
        await watch_content(bot.runtime)
        await bot.dispatch()
        [report] = await fake.wait_for_messages(STAFF_CHAT, 1)
        assert f"{path}:" in report["text"]
        fake.send_text(PATIENT, "combien de temps dure l'injection ?")
        [_, again] = await fake.wait_for_messages(PATIENT, 2)
        assert "(MAJ)" in again["text"]
        assert len(fake.messages(STAFF_CHAT)) == 1
    finally:
        await stop_bot(bot)


async def test_recharger_is_staff_only(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_command(PATIENT, "recharger")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.STAFF_NOT_ALLOWED
