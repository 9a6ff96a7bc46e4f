"""Hostile and odd input, driven through the running bot over real HTTP.

Each row states the exact behaviour: a clear French reply, or deliberate silence. Nothing
raises: the error handler would log it, and the last test checks that it never ran.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot import texts
from tests.conftest import HELP_TEXT, HOTLINE, PATIENT, STAFF_CHAT, RunningBot
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


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_odd_input_gets_one_clear_reply(
    bot: RunningBot, fake: FakeBotAPI, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    case.send(fake)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert case.expect(reply["text"]), reply["text"]
    await fake.wait_until_consumed()
    await asyncio.sleep(0.1)
    assert len(fake.messages(PATIENT)) == 1
    assert not [r for r in caplog.records if r.name.startswith("bot")], caplog.text


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
