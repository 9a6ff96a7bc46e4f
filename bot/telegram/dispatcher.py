"""The one periodic job: deliver the outbox, re-notify unacknowledged alerts.

The database is the truth; this job only wakes up (every few seconds, and at once when a
handler queues something), claims due rows in a transaction, sends them, and records the
result. Failures are sorted by what Telegram meant:

- 429 ``RetryAfter``: wait exactly what Telegram asked, without counting an attempt;
- 403 ``Forbidden`` to a patient: they blocked the bot; mark them stopped, never retry;
- 400 ``BadRequest``: our message is wrong and will stay wrong; mark failed and log;
- timeouts, 5xx, connection errors: retry with exponential backoff, forever. A timed-out
  send may still have reached Telegram, so delivery is at-least-once (see README).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiosqlite
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.escalation import parse_buttons
from bot.runtime import Runtime
from bot.telegram.common import keyboard

log = logging.getLogger("bot.dispatcher")

BATCH = 50
MAX_BACKOFF_S = 300
THREAD_PURPOSES = ("followup", "renotify")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0) * 2, MAX_BACKOFF_S))


class Dispatcher:
    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False

    async def tick(self) -> None:
        """Run once; if woken while running, run again right after instead of in parallel."""
        if self._lock.locked():
            self._again = True
            return
        async with self._lock:
            while True:
                self._again = False
                await self._tick_once()
                if not self._again:
                    break

    async def _tick_once(self) -> None:
        rt = self.runtime
        if rt.escalation is not None and rt.settings.staff_chat_id is not None:
            await rt.escalation.renotify_due()
        while True:
            rows = await rt.db.claim_outbox(rt.clock.now(), BATCH)
            if not rows:
                return
            for i, row in enumerate(rows):
                if not await self._send(row):
                    # Telegram asked us to slow down: hand the rest back untouched.
                    for rest in rows[i + 1 :]:
                        await rt.db.outbox_retry(
                            int(rest["id"]), rt.clock.now(), "deferred", count_attempt=False
                        )
                    return
            if len(rows) < BATCH:
                return

    async def _send(self, row: aiosqlite.Row) -> bool:
        """Send one row and settle it; False means stop this tick (429)."""
        rt = self.runtime
        row_id = int(row["id"])
        reply_to = row["reply_to"]
        if row["purpose"] in THREAD_PURPOSES and row["alert_id"] is not None:
            reply_to = await rt.db.first_alert_post(int(row["alert_id"]))
            if reply_to is None:
                # The alert's own post has not gone out yet; keep the thread in order.
                await rt.db.outbox_retry(
                    row_id, rt.clock.now() + timedelta(seconds=2), "waiting", count_attempt=False
                )
                return True
        try:
            sent = await self.bot.send_message(
                int(row["chat_id"]),
                str(row["text"]),
                reply_markup=keyboard(parse_buttons(row["buttons"])),
                reply_parameters=ReplyParameters(
                    message_id=int(reply_to), allow_sending_without_reply=True
                )
                if reply_to
                else None,
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await rt.db.outbox_retry(
                row_id,
                rt.clock.now() + timedelta(seconds=seconds),
                "RetryAfter",
                count_attempt=False,
            )
            log.warning("Telegram asked to wait %.0f s; outbox paused", seconds)
            return False
        except Forbidden:
            chat_id = int(row["chat_id"])
            if chat_id == rt.settings.staff_chat_id:
                # The bot was removed from the staff group: an alert must not be dropped.
                log.error("staff group refused a message (bot removed?); will retry")
                await rt.db.outbox_retry(
                    row_id, rt.clock.now() + backoff(int(row["attempts"])), "Forbidden"
                )
            else:
                log.info("patient chat blocked the bot; patient stopped")
                await rt.db.outbox_failed(row_id, "Forbidden")
                await rt.db.stop_patient_chat(chat_id)
            return True
        except BadRequest as exc:
            log.error("outbox row %s rejected by Telegram: %s", row_id, type(exc).__name__)
            await rt.db.outbox_failed(row_id, "BadRequest")
            return True
        except (NetworkError, TelegramError) as exc:
            await rt.db.outbox_retry(
                row_id, rt.clock.now() + backoff(int(row["attempts"])), type(exc).__name__
            )
            log.warning("outbox row %s will be retried after %s", row_id, type(exc).__name__)
            return True
        await rt.db.outbox_sent(row_id, sent.message_id, rt.clock.now())
        return True
