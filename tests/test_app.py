"""First flows of the foundation, over real HTTP against the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import texts
from bot.logs import quiet_third_party_loggers
from tests.conftest import HELP_TEXT, HOTLINE, PATIENT, STAFF_CHAT, RunningBot
from tests.fakes.bot_api import FakeBotAPI


async def test_start_without_link_welcomes_and_explains(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_command(PATIENT, "start")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.with_hotline(texts.WELCOME, HOTLINE)
    assert "lien personnel" in msg["text"] and HOTLINE in msg["text"]


async def test_menu_is_set_in_french(bot: RunningBot, fake: FakeBotAPI) -> None:
    names = {c["command"]: c["description"] for c in fake.commands()}
    assert names == dict(texts.COMMANDS_MENU)


@pytest.mark.parametrize("command", ["aide", "help", "nimportequoi"])
async def test_help_and_unknown_commands(bot: RunningBot, fake: FakeBotAPI, command: str) -> None:
    fake.send_command(PATIENT, command)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == HELP_TEXT


@pytest.mark.parametrize("kind", ["photo", "sticker", "document", "location", "contact"])
async def test_media_gets_a_polite_written_only_reply(
    bot: RunningBot, fake: FakeBotAPI, kind: str
) -> None:
    fake.send_media(PATIENT, kind)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.with_hotline(texts.MEDIA_NOT_READ, HOTLINE)


@pytest.mark.parametrize("kind", ["voice", "video_note"])
async def test_voice_asks_to_write_and_gives_the_line(
    bot: RunningBot, fake: FakeBotAPI, kind: str
) -> None:
    fake.send_media(PATIENT, kind)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.with_hotline(texts.VOICE_NOT_READ, HOTLINE)
    assert HOTLINE in msg["text"] and "15" in msg["text"]


async def test_photo_caption_is_read_like_a_message(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.send_media(PATIENT, "photo", caption="je saigne beaucoup depuis ce matin")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert HOTLINE in msg["text"]
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert "Saignement" in alert["text"]


async def test_message_of_4096_characters_gets_one_answer(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    question = " Combien de temps dure l'injection ?"
    filler = "Je vous écris car je suis un peu inquiète avant l'intervention. "
    text = (filler * 80)[: 4096 - len(question)] + question
    assert len(text) == 4096
    fake.send_text(PATIENT, text)
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert "30 minutes" in msg["text"]
    await fake.wait_until_consumed()
    await asyncio.sleep(0.2)
    assert len(fake.messages(PATIENT)) == 1


async def test_edited_message_is_not_answered_twice(bot: RunningBot, fake: FakeBotAPI) -> None:
    sent = fake.send_text(PATIENT, "combien de temps dure l'injection")
    await fake.wait_for_messages(PATIENT, 1)
    fake.edit_text(sent, "combien de temps dure l'injection ?")
    await fake.wait_until_consumed()
    await asyncio.sleep(0.3)
    assert len(fake.messages(PATIENT)) == 1
    assert fake.messages(STAFF_CHAT) == []


async def test_edit_that_becomes_urgent_is_escalated(bot: RunningBot, fake: FakeBotAPI) -> None:
    sent = fake.send_text(PATIENT, "bonjour")
    await fake.wait_for_messages(PATIENT, 1)
    fake.edit_text(sent, "j'ai 39 de fièvre depuis hier soir")
    [_, urgent] = await fake.wait_for_messages(PATIENT, 2)
    assert HOTLINE in urgent["text"]
    await fake.wait_for_messages(STAFF_CHAT, 1)


async def test_logs_never_contain_message_text(
    bot: RunningBot, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_third_party_loggers()  # what `python -m bot run` does at start
    caplog.set_level(logging.DEBUG)
    marker = "ZEBRE-7731"
    fake.send_text(PATIENT, f"je saigne beaucoup {marker}")
    fake.send_text(PATIENT, f"question {marker} sans réponse sur le prix du parking")
    await fake.wait_for_messages(PATIENT, 2)
    await fake.wait_for_messages(STAFF_CHAT, 1)
    assert caplog.records, "expected the bot to log something"
    assert marker not in caplog.text
    token = bot.runtime.settings.telegram_bot_token
    assert token is not None and token not in caplog.text


async def test_a_crash_in_a_handler_still_gives_the_line_and_logs_no_text(
    bot: RunningBot,
    fake: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(text: str) -> object:
        raise RuntimeError(f"broken while reading {text}")

    monkeypatch.setattr(bot.runtime.content.conversation, "respond", boom)
    caplog.set_level(logging.ERROR, logger="bot")
    fake.send_text(PATIENT, "SECRET-4412 combien de temps dure l'injection")
    [msg] = await fake.wait_for_messages(PATIENT, 1)
    assert msg["text"] == texts.with_hotline(texts.INTERNAL_ERROR, HOTLINE)
    assert "failed with RuntimeError" in caplog.text
    assert "SECRET-4412" not in caplog.text
