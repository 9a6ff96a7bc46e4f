"""Concurrent update processing that keeps each chat in order, lets urgent messages go
first, and marks each update handled in the durable inbox (``inbox.py``).

Handling updates one at a time caps the bot at one Telegram round trip per message (about
16 messages/s with 50 ms answers, bench/load.py). Plain concurrency would let two messages
of the same patient race: replies out of order, or an urgent message and the next one both
finding "no alert open" and raising two alerts. So: different chats run in parallel, and
updates of the same chat run one after another, in arrival order (asyncio.Lock is FIFO).

Under a backlog (600 questions queued), an urgent message must not wait for a free slot
behind everyone's FAQ answers: the inbox hands updates that triage finds urgent to
:meth:`do_process_update` at once (``inbox.py``), and their normal copy is skipped here.
They still wait for their own chat's earlier messages.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.inbox import Inbox

# Generous on purpose: waiting coroutines cost little memory, and each holds a chat's lock
# only while it runs.
MAX_CONCURRENT_UPDATES = 256


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self.inbox: Inbox | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if (
            isinstance(update, Update)
            and self.inbox is not None
            and self.inbox.take_skip(update.update_id)
        ):
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # handled from the inbox, or already on the urgent lane
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
        else:
            key = chat.id
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._users[key] = self._users.get(key, 0) + 1
            try:
                async with lock:
                    await coroutine
            finally:
                self._users[key] -= 1
                if self._users[key] == 0:  # nobody waiting: forget the chat
                    del self._users[key]
                    del self._locks[key]
        # ptb's process_update caught any handler error (and ran the error handler, which
        # gave a patient the line): the update is handled either way.
        if isinstance(update, Update) and self.inbox is not None:
            await self.inbox.done(update.update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
