"""Shared fixtures: settings on temporary files, a fake clock, the fake Bot API server and
the real bot application talking to it over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.content import Content
from bot.runtime import Runtime
from bot.telegram.app import build_application, post_init, post_shutdown
from bot.telegram.dispatcher import Dispatcher
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock

PARIS = ZoneInfo("Europe/Paris")
TOKEN = "123456:TEST-TOKEN-abcdefghij"
BOT_ID = 123456
STAFF_CHAT = -1001234567890
NURSE = 900  # a member of the staff group
OUTSIDER = 666  # not a member of the staff group
PATIENT = 1001
HOTLINE = "01 46 41 00 00"
CONTROLLER = "Hôpital Américain de Paris, 55 bd du Château, 92200 Neuilly-sur-Seine"
DPO = "dpo@exemple-hopital.fr"
# The settings' data-protection values as the fixtures set them (other fields as defaults).
PRIVACY = Settings(data_controller=CONTROLLER, dpo_contact=DPO)


def privacy_text(template: str) -> str:
    """A patient text with its data-protection and hotline placeholders filled as in tests."""
    return texts.with_hotline(texts.with_privacy(template, PRIVACY), HOTLINE)


HELP_TEXT = (
    texts.with_hotline(texts.HELP, HOTLINE)
    + "\n\n"
    + texts.with_privacy(texts.HELP_PRIVACY, PRIVACY)
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=PARIS))


@pytest.fixture
def base_settings(tmp_path: Path) -> Settings:
    """Settings as a deployment would have them, with the database in a temporary folder."""
    return load_settings(
        env_file=None,
        environ={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "STAFF_CHAT_ID": str(STAFF_CHAT),
            "HOTLINE_PHONE": HOTLINE,
            "DATA_CONTROLLER": CONTROLLER,
            "DPO_CONTACT": DPO,
            "DATABASE_PATH": str(tmp_path / "bot.db"),
            "FAQ_DIR": str(PROJECT_ROOT / "faq"),
            "TRIAGE_RULES": str(PROJECT_ROOT / "data" / "triage.yaml"),
        },
    )


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(token=TOKEN, bot_username="releveurs_test_bot", bot_id=BOT_ID)
    api.start()
    api.add_group(STAFF_CHAT, "Équipe radiologie")
    api.add_user(NURSE, "Claire", username="claire_ide")
    api.set_member(STAFF_CHAT, NURSE, "member")
    api.add_user(OUTSIDER, "Inconnu")
    api.add_user(PATIENT, "Patient")
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def settings(base_settings: Settings, fake: FakeBotAPI) -> Settings:
    return replace(base_settings, telegram_api_base_url=fake.base_url)


@dataclass
class RunningBot:
    app: Any
    fake: FakeBotAPI
    clock: FakeClock

    @property
    def runtime(self) -> Runtime:
        rt = self.app.bot_data["runtime"]
        assert isinstance(rt, Runtime)
        return rt

    async def dispatch(self) -> None:
        """Run the dispatcher now (as its periodic job would)."""
        dispatcher = self.app.bot_data["dispatcher"]
        assert isinstance(dispatcher, Dispatcher)
        await dispatcher.tick()


async def start_bot(settings: Settings, clock: FakeClock, fake: FakeBotAPI) -> RunningBot:
    """Start the real application the way run_polling does, minus signal handling."""
    app = build_application(settings, clock=clock)
    await app.initialize()
    await post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    return RunningBot(app, fake, clock)


async def stop_bot(bot: RunningBot) -> None:
    app = bot.app
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await post_shutdown(app)
    await app.shutdown()


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock, fake: FakeBotAPI) -> AsyncIterator[RunningBot]:
    running = await start_bot(settings, clock, fake)
    try:
        yield running
    finally:
        await stop_bot(running)


@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped FAQ and triage rules, loaded once."""
    return Content(load_settings(env_file=None, environ={}))


async def settle(fake: FakeBotAPI) -> None:
    """Let the bot fetch and process everything injected so far."""
    await fake.wait_until_consumed()
    await asyncio.sleep(0.05)
