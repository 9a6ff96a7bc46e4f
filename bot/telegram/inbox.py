"""The durable inbox: every update is in SQLite before Telegram is told it was received.

ptb's Updater confirms a batch of updates to Telegram when it asks for the next one
(``getUpdates`` with ``offset`` = last id + 1). Without this module, a process killed after
that call but before a handler wrote anything lost the message for good: Telegram would not
send it again (#11: an urgent message behind 600 questions, SIGKILL 1.5 s later, never
answered, never alerted). So :class:`InboxBot` stores each batch, in one transaction, inside
``get_updates`` itself: the Updater cannot ask for (and so confirm past) a batch before it
is committed. The update processor (``updates.py``) marks each update done once handled.
On start, updates stored but not done are handled again, in order.

Handling again is idempotent where it matters: an alert records the update that raised it
(``inbox.alert_id``), so the same update never raises a second alert. The patient's reply
may be sent twice if the process died between Telegram accepting it and the row being
marked done (a window of one HTTP round trip); a lost reply is worse than a repeated one.

Telegram re-sends the updates it had not seen confirmed; those already stored are skipped.
If the database cannot be written (disk full), the batch is still handled in memory (the
patient still gets the line; the alert follows the storage-fault path of ``session.py``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

from bot.clock import Clock
from bot.storage import Database

log = logging.getLogger("bot.inbox")

# An update whose handling was cut short by the process dying this many times in a row is
# given up (it may be what kills us); its patient is told to call the line.
MAX_ATTEMPTS = 3


class Inbox:
    """``fast_lane`` starts handling an update at once, outside ptb's queue and its
    concurrency limit: urgent messages are not left waiting behind a backlog."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        is_urgent: Callable[[Update], bool],
        fast_lane: Callable[[Update], None],
    ) -> None:
        self.db = db
        self.clock = clock
        self.is_urgent = is_urgent
        self.fast_lane = fast_lane
        self._skip: set[int] = set()
        self.storage_ok = True

    async def store(self, updates: tuple[Update, ...]) -> None:
        rows = [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
        try:
            new = await self.db.inbox_store(rows, self.clock.now())
        except sqlite3.Error as exc:
            # Nothing to skip: handled in memory rather than not at all.
            if self.storage_ok:
                log.critical(
                    "inbox: could not store %d update(s) (%s); handling them in memory only",
                    len(rows),
                    type(exc).__name__,
                )
            self.storage_ok = False
            new = {u.update_id for u in updates}
        else:
            self.storage_ok = True
        for u in updates:
            if u.update_id not in new:
                self._skip.add(u.update_id)  # known already: handled from the inbox
            elif self.is_urgent(u):
                self._skip.add(u.update_id)  # its copy in ptb's queue is skipped
                self.fast_lane(u)

    def take_skip(self, update_id: int) -> bool:
        """True once for an update Telegram sent again that the inbox already holds."""
        if update_id in self._skip:
            self._skip.discard(update_id)
            return True
        return False

    async def done(self, update_id: int) -> None:
        try:
            await self.db.inbox_done(update_id, self.clock.now())
        except sqlite3.Error as exc:
            log.error("inbox: update %s handled but not marked (%s)", update_id, type(exc).__name__)

    async def unhandled(self, bot: ExtBot[Any]) -> tuple[list[Update], list[Update]]:
        """(to handle again, given up) from a previous run, in arrival order."""
        retry, failed = await self.db.inbox_unhandled(MAX_ATTEMPTS)
        again: list[Update] = []
        for _update_id, payload in retry:
            update = Update.de_json(json.loads(payload), bot)
            if update is not None:
                again.append(update)
        again.sort(key=lambda u: not self.is_urgent(u))  # stable: urgent first, else in order
        given_up: list[Update] = []
        for update_id in failed:
            log.error("inbox: update %s given up after %d attempts", update_id, MAX_ATTEMPTS)
            raw = await self.db.inbox_payload(update_id)
            poison = Update.de_json(json.loads(raw), bot) if raw else None
            if poison is not None:
                given_up.append(poison)
        return again, given_up


class InboxBot(ExtBot[dict[str, Any]]):
    """ExtBot whose ``get_updates`` stores each batch before returning it (see above)."""

    __slots__ = ("_inbox",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox: Inbox | None = None

    def attach_inbox(self, inbox: Inbox | None) -> None:
        self._inbox = inbox

    @property
    def inbox(self) -> Inbox | None:
        return self._inbox

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates and self._inbox is not None:
            await self._inbox.store(updates)
        return updates
