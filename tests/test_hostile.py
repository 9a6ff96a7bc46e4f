"""Hostile and odd input, driven through the running bot over real HTTP.

Each row states the exact behaviour: a clear French reply, or deliberate silence. Nothing
raises: the error handler would log it, and the last test checks that it never ran.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot import texts
from tests.conftest import HELP_TEXT, HOTLINE, NURSE, PATIENT, STAFF_CHAT, RunningBot
from tests.fakes.bot_api import FakeBotAPI

FALLBACK = texts.with_hotline(texts.FALLBACK, HOTLINE)
ONLY_FRENCH = texts.with_hotline(texts.ONLY_FRENCH, HOTLINE)
HELP = HELP_TEXT
MEDIA = texts.with_hotline(texts.MEDIA_NOT_READ, HOTLINE)
INVALID_LINK = texts.with_hotline(texts.INVITE_INVALID, HOTLINE)


@dataclass(frozen=True)
class Case:
    name: str
    send: Callable[[FakeBotAPI], object]
    expect: Callable[[str], bool]  # on the single reply's text


def exact(text: str) -> Callable[[str], bool]:
    return lambda got: got == text


def answer_of(entry_id: str) -> Callable[[str], bool]:
    def check(got: str) -> bool:
        from bot.config import load_settings
        from bot.content import Content

        entry = Content(load_settings(env_file=None, environ={})).conversation.faq.get(entry_id)
        return entry is not None and got.startswith(entry.answer.replace("{hotline}", HOTLINE))

    return check


CASES = [
    Case("emoji only", lambda f: f.send_text(PATIENT, "🙏😭🙏"), exact(texts.EMPTY_MESSAGE)),
    Case(
        "zero-width only",
        lambda f: f.send_text(PATIENT, "\u200b\u200c\u2060"),
        exact(texts.EMPTY_MESSAGE),
    ),
    Case("arabic", lambda f: f.send_text(PATIENT, "ما هو هذا العلاج؟"), exact(ONLY_FRENCH)),
    Case(
        "cyrillic", lambda f: f.send_text(PATIENT, "Сколько длится процедура?"), exact(ONLY_FRENCH)
    ),
    Case(
        "english question",
        lambda f: f.send_text(PATIENT, "how long does the injection take?"),
        exact(ONLY_FRENCH),
    ),
    Case(
        "html injection",
        lambda f: f.send_text(
            PATIENT, "<b>combien</b> de temps dure l'injection & <a href='x'>?</a>"
        ),
        answer_of("duree"),
    ),
    Case(
        "markdown and backticks",
        lambda f: f.send_text(PATIENT, "**combien** de `temps` dure _l'injection_ ?"),
        answer_of("duree"),
    ),
    Case(
        "zero-width inside words",
        lambda f: f.send_text(PATIENT, "combien de te\u200bmps dure l'inj\u200bection"),
        answer_of("duree"),
    ),
    Case(
        "control characters",
        lambda f: f.send_text(PATIENT, "combien\x00 de temps\x07 dure l'injection\x1b ?"),
        answer_of("duree"),
    ),
    Case(
        "stray arguments to /aide",
        lambda f: f.send_command(PATIENT, "aide", "blabla 123"),
        exact(HELP),
    ),
    Case(
        "/start with 64 random characters",
        lambda f: f.send_command(
            PATIENT, "start", "".join(secrets.choice(string.ascii_letters) for _ in range(64))
        ),
        exact(INVALID_LINK),
    ),
    Case(
        "/start with junk",
        lambda f: f.send_command(PATIENT, "start", "<script>"),
        exact(INVALID_LINK),
    ),
    Case("unknown command", lambda f: f.send_command(PATIENT, "drop_table"), exact(HELP)),
    Case(
        "command for another bot",
        lambda f: f.send_text(PATIENT, "/start@autre_bot"),
        exact(HELP),
    ),
    Case("document", lambda f: f.send_media(PATIENT, "document"), exact(MEDIA)),
    Case("animation", lambda f: f.send_media(PATIENT, "animation"), exact(MEDIA)),
    Case("audio", lambda f: f.send_media(PATIENT, "audio"), exact(MEDIA)),
    Case("video", lambda f: f.send_media(PATIENT, "video"), exact(MEDIA)),
    Case("poll", lambda f: f.send_media(PATIENT, "poll"), exact(MEDIA)),
    Case("text of 4096 characters", lambda f: f.send_text(PATIENT, "é" * 4096), exact(FALLBACK)),
]


async def one_clear_reply(
    fake: FakeBotAPI, case: Case, chat: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    case.send(fake)
    [reply] = await fake.wait_for_messages(chat, 1)
    assert case.expect(reply["text"]), reply["text"]
    await fake.wait_until_consumed()
    await asyncio.sleep(0.1)
    assert len(fake.messages(chat)) == 1
    assert not [r for r in caplog.records if r.name.startswith("bot")], caplog.text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_odd_input_gets_one_clear_reply(
    bot: RunningBot, fake: FakeBotAPI, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    await one_clear_reply(fake, case, PATIENT, caplog)


async def test_entities_in_text_are_ignored_safely(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.add_raw_update(
        {
            "message": {
                "message_id": 9000,
                "date": 1_780_000_000,
                "chat": {"id": PATIENT, "type": "private", "first_name": "Patient"},
                "from": {"id": PATIENT, "is_bot": False, "first_name": "Patient"},
                "text": "combien de temps dure l'injection @quelquun https://x.y",
                "entities": [
                    {"type": "bold", "offset": 0, "length": 7},
                    {"type": "mention", "offset": 36, "length": 9},
                    {"type": "url", "offset": 46, "length": 9},
                ],
            }
        }
    )
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert "30 minutes" in reply["text"]


async def test_burst_is_throttled_but_urgent_still_escalated(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    for i in range(100):
        text = "je saigne beaucoup, aidez moi" if i == 60 else f"question numéro {i} sur le parking"
        fake.send_text(PATIENT, text)
    await fake.wait_until_consumed(timeout=20)
    await fake.wait_for(
        lambda: (
            any(HOTLINE in m["text"] and "saign" not in m["text"] for m in fake.messages(PATIENT))
            and len(fake.messages(STAFF_CHAT)) >= 1
        ),
        timeout=20,
        what="urgent reply and staff alert",
    )
    msgs = [m["text"] for m in fake.messages(PATIENT)]
    # 20 answered, one polite notice, the urgent reply; the other 78 read but not answered.
    assert msgs.count(texts.with_hotline(texts.SLOW_DOWN, HOTLINE)) == 1
    assert len(msgs) == 22
    assert "saigne" in fake.messages(STAFF_CHAT)[0]["text"]


@pytest.mark.parametrize("flood", ["questions", "aide", "photo"])
async def test_commands_and_media_count_toward_the_flood_limit(
    bot: RunningBot, fake: FakeBotAPI, flood: str
) -> None:
    """400 /questions (or photos) from one chat: 20 answered, one notice, the rest ignored;
    /urgence is still answered and another patient is not held up (#12 item 7)."""
    for _ in range(60):
        if flood == "photo":
            fake.send_media(PATIENT, "photo")
        else:
            fake.send_command(PATIENT, flood)
    fake.send_command(PATIENT, "urgence")
    fake.send_text(PATIENT + 1, "combien de temps dure l'injection ?")
    await fake.wait_until_consumed(timeout=20)
    await fake.wait_for(
        lambda: bool(fake.messages(PATIENT + 1)) and len(fake.messages(PATIENT)) >= 22,
        timeout=20,
        what="the other patient's answer and the flooder's replies",
    )
    await asyncio.sleep(0.3)
    msgs = [m["text"] for m in fake.messages(PATIENT)]
    assert msgs.count(texts.with_hotline(texts.SLOW_DOWN, HOTLINE)) == 1
    assert len(msgs) == 22, len(msgs)  # 20 answered, the notice, /urgence
    assert HOTLINE in msgs[-1]
    assert "30 minutes" in fake.messages(PATIENT + 1)[0]["text"]


async def test_stranger_group_is_left_silently(bot: RunningBot, fake: FakeBotAPI) -> None:
    group = -100777
    fake.add_group(group, "Groupe inconnu")
    fake.send_text(PATIENT, "je saigne beaucoup", chat_id=group)
    fake.send_command(PATIENT, "inscrire", "2026-12-07 09:30 X", chat_id=group)
    await fake.wait_for(lambda: group in fake.left_chats(), what="bot leaves the group")
    await fake.wait_until_consumed()
    await asyncio.sleep(0.1)
    assert fake.messages(group) == []
    assert fake.messages(STAFF_CHAT) == []


@pytest.mark.parametrize("text", ["   ", "\n\t ", ""])
async def test_blank_text_gets_a_gentle_prompt(
    bot: RunningBot, fake: FakeBotAPI, text: str
) -> None:
    """Telegram does not send blank messages, but a forged or future update must not crash."""
    fake.add_raw_update(
        {
            "message": {
                "message_id": 9100,
                "date": 1_780_000_000,
                "chat": {"id": PATIENT, "type": "private", "first_name": "Patient"},
                "from": {"id": PATIENT, "is_bot": False, "first_name": "Patient"},
                "text": text,
            }
        }
    )
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert reply["text"] == texts.EMPTY_MESSAGE


async def test_urgent_reply_overtakes_queued_ordinary_replies(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    """Under load the rate limiter queues replies; the one with the phone number jumps it."""
    crowd = list(range(3000, 3090))
    for user in crowd:
        fake.send_text(user, "combien de temps dure l'injection ?")
    # Once the limiter's first burst is out, the other replies are queued in it.
    await fake.wait_for(lambda: len(fake.all_messages()) >= 35, timeout=10, what="queue")
    fake.send_text(PATIENT, "je saigne beaucoup depuis ce matin")
    await fake.wait_for(
        lambda: len(fake.messages(PATIENT)) == 1 and all(fake.messages(u) for u in crowd),
        timeout=30,
        what="every reply",
    )
    order = [m["chat_id"] for m in fake.all_messages() if m["chat_id"] != STAFF_CHAT]
    position = order.index(PATIENT)
    # Without the priority lane it comes after the ~50 replies queued before it.
    assert position < 55, f"urgent reply was number {position + 1} of {len(order)}"


# --- #12: hostile staff input (the care team's commands, answered in the staff group) ----------

LINK = re.compile(r"https://t\.me/releveurs_test_bot\?start=[A-Za-z0-9_-]{32}$")
TOO_FAR = texts.DATE_TOO_FAR.format(years=2)

STAFF_CASES = [
    Case(
        "label with U+202E",
        lambda f: f.send_command(NURSE, "inscrire", "2026-12-07 09:30 \u202e1744", STAFF_CHAT),
        exact(texts.LABEL_INVISIBLE.format(code="U+202E")),
    ),
    Case(
        "label with zero-width characters",
        lambda f: f.send_command(NURSE, "inscrire", "2026-12-07 09:30 M\u200bD", STAFF_CHAT),
        exact(texts.LABEL_INVISIBLE.format(code="U+200B")),
    ),
    Case(
        "label that is mathtext",
        lambda f: f.send_command(NURSE, "inscrire", "2026-12-07 09:30 $\\sqrt{$", STAFF_CHAT),
        lambda got: got.startswith("Patient $\\sqrt{$ (n° 1)") and bool(LINK.search(got)),
    ),
    Case(
        "appointment in year 9999",
        lambda f: f.send_command(NURSE, "inscrire", "9999-12-31 23:59 X", STAFF_CHAT),
        exact(TOO_FAR),
    ),
]


@pytest.mark.parametrize("case", STAFF_CASES, ids=[c.name for c in STAFF_CASES])
async def test_odd_staff_input_gets_one_clear_reply(
    bot: RunningBot, fake: FakeBotAPI, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    await one_clear_reply(fake, case, STAFF_CHAT, caplog)
