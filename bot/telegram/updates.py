"""Concurrent update processing that keeps each chat in order.

Handling updates one at a time caps the bot at one Telegram round trip per message (about
16 messages/s with 50 ms answers, bench/load.py). Plain concurrency would let two messages
of the same patient race: replies out of order, or an urgent message and the next one both
finding "no alert open" and raising two alerts. So: different chats run in parallel, and
updates of the same chat run one after another, in arrival order (asyncio.Lock is FIFO).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Generous on purpose: an update waiting for a slot waits behind everyone's replies, and an
# urgent message must start at once to use the priority lane (ratelimit.py). Waiting
# coroutines cost little memory.
MAX_CONCURRENT_UPDATES = 256


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody waiting: forget the chat, memory stays bounded
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
