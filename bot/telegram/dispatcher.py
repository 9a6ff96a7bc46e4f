"""The one periodic job: deliver the outbox and the plan's steps, re-notify alerts.

The database is the truth; this job only wakes up (every few seconds, and at once when a
handler queues something), claims due rows in a transaction, sends them, and records the
result. Failures are sorted by what Telegram meant:

- 429 ``RetryAfter``: wait exactly what Telegram asked, without counting an attempt;
- 403 ``Forbidden`` to a patient: they blocked the bot; mark them stopped, never retry;
- 400 ``BadRequest``: our message is wrong as it is: sent again at once as plain text that
  fits, then without buttons, and only then marked failed (a staff thread never waits on a
  failed post; a relay that fails is reported in its thread);
- timeouts, 5xx, connection errors: retry with exponential backoff, forever. A timed-out
  send may still have reached Telegram, so delivery is at-least-once (see README).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import callbacks as cb
from bot import texts
from bot.escalation import parse_buttons
from bot.reminders.plan import checkin_buttons, render_text
from bot.render import esc, html_format, plain_fallback
from bot.runtime import Runtime
from bot.storage import DueStep, OutboxMessage, StepStatus
from bot.telegram.common import keyboard

log = logging.getLogger("bot.dispatcher")

BATCH = 50
MAX_IN_FLIGHT = 4
# Telegram lets a bot post about 20 messages a minute in a group: more staff posts per tick
# would only make the tick (and a shutdown waiting for it) sit in the rate limiter.
STAFF_POSTS_PER_TICK = 2
MAX_BACKOFF_S = 300
THREAD_PURPOSES = ("followup", "renotify")
PURGE_EVERY = timedelta(hours=1)


def _seconds(wait: float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _chunks(items: list[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0) * 2, MAX_BACKOFF_S))


class Dispatcher:
    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self._lock = asyncio.Lock()
        # At most this many sends in flight: enough to keep up with the rate limiter at
        # Telegram's usual latency, and the bound on what a crash can make us send twice.
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.woken = False
        self._last_purge: datetime | None = None

    async def tick(self) -> None:
        """Run once. Ticks never overlap: a wake-up during a tick runs right after it."""
        async with self._lock:
            # Cleared only once running: wake-ups during the wait for the lock are served by
            # this tick, so at most one more tick ever waits (see app.py's wake()).
            self.woken = False
            await self._tick_once()

    async def _tick_once(self) -> None:
        rt = self.runtime
        await self._purge_if_due()
        if rt.session.pending:
            await rt.session.flush_pending()
        await self._redact()
        if rt.escalation is not None and rt.settings.staff_chat_id is not None:
            await rt.escalation.run_policy()
            await self._note_unanswered_checkins()
        if await self._outbox():
            await self._steps()

    async def _outbox(self) -> bool:
        """Deliver due outbox rows; False when Telegram asked us to slow down.

        Rows go out one at a time, in order (a staff thread must read in order). Staff posts
        are capped per tick; patients' messages are not held up behind them.
        """
        rt = self.runtime
        staff = rt.settings.staff_chat_id
        if staff is not None:
            rows = await rt.db.claim_outbox(rt.clock.now(), STAFF_POSTS_PER_TICK, only_chat=staff)
            if not await self._send_rows(rows):
                return False
        while True:
            rows = await rt.db.claim_outbox(rt.clock.now(), BATCH, exclude_chat=staff)
            if not await self._send_rows(rows):
                return False
            if len(rows) < BATCH:
                return True

    async def _send_rows(self, rows: list[OutboxMessage]) -> bool:
        rt = self.runtime
        for i, row in enumerate(rows):
            if not await self._send(row):
                # Telegram asked us to slow down: hand the rest back untouched.
                for rest in rows[i + 1 :]:
                    await rt.db.outbox_retry(
                        rest.id, rt.clock.now(), "deferred", count_attempt=False
                    )
                return False
        return True

    async def _steps(self) -> None:
        """Send the plan's steps that are due, to patients who are following the plan.

        Chats are served concurrently (ptb's AIORateLimiter keeps us under Telegram's 30
        messages per second): one at a time, a 50 ms round trip caps delivery at ~15/s
        (bench/reminders.py). A chat's own steps still go one after another, in order.
        """
        rt = self.runtime
        while True:
            rows = await rt.db.claim_steps(rt.clock.now(), BATCH)
            if not rows:
                return
            by_chat: dict[int, list[DueStep]] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row)
            results = await asyncio.gather(*(self._send_chat_steps(r) for r in by_chat.values()))
            if not all(results) or len(rows) < BATCH:
                return  # done, or Telegram asked us to slow down: next tick

    async def _send_chat_steps(self, rows: list[DueStep]) -> bool:
        """One chat's claimed steps, in order; on a 429 the rest go back to pending."""
        rt = self.runtime
        for i, row in enumerate(rows):
            async with self._in_flight:
                sent = await self._send_step(row)
            if not sent:
                for rest in rows[i + 1 :]:
                    await rt.db.step_retry(rest.id, rt.clock.now(), "deferred", count_attempt=False)
                return False
        return True

    async def _send_step(self, row: DueStep) -> bool:
        rt = self.runtime
        row_id = row.id
        step = rt.content.plan.get(row.step_id)
        if step is None:
            # The admins removed this step from the plan since it was scheduled.
            await rt.db.step_settle(row_id, StepStatus.CANCELLED, "removed from plan")
            return True
        appointment = row.appointment_at
        text = render_text(step, appointment, rt.settings.timezone, rt.settings.hotline_phone)
        rows = [
            [(label, cb.encode(cb.CheckinAnswer(row_id, value))) for label, value in chunk]
            for chunk in _chunks(checkin_buttons(step), 3 if step.scale is None else 6)
        ]
        try:
            sent = await self.bot.send_message(row.chat_id, esc(text), reply_markup=keyboard(rows))
        except RetryAfter as exc:
            await rt.db.step_retry(
                row_id,
                rt.clock.now() + timedelta(seconds=_seconds(exc.retry_after)),
                "RetryAfter",
                count_attempt=False,
            )
            return False
        except Forbidden:
            log.info("patient chat blocked the bot; patient stopped")
            await rt.db.step_settle(row_id, StepStatus.FAILED, "Forbidden")
            await rt.db.stop_patient_chat(row.chat_id)
            return True
        except BadRequest as exc:
            log.error("step %s rejected by Telegram: %s", row_id, type(exc).__name__)
            await rt.db.step_settle(row_id, StepStatus.FAILED, "BadRequest")
            return True
        except (NetworkError, TelegramError) as exc:
            await rt.db.step_retry(
                row_id, rt.clock.now() + backoff(row.attempts), type(exc).__name__
            )
            return True
        await rt.db.step_sent(row_id, sent.message_id, rt.clock.now())
        log.info("step %s sent to patient %s", row.step_id, row.patient_id)
        return True

    async def _purge_if_due(self) -> None:
        """Apply the retention period, at most once an hour (cheap, but no need to hurry)."""
        rt = self.runtime
        now = rt.clock.now()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        counts = await rt.db.purge(now - timedelta(days=rt.settings.retention_days))
        if any(counts.values()):
            log.info("retention: erased %s", ", ".join(f"{k}={v}" for k, v in counts.items()))

    async def _redact(self) -> None:
        """Blank the bot's staff-group posts about erased patients (#12), a few per tick.

        Each is edited to a short notice (omitting reply_markup removes the buttons); if the
        edit is refused (too old, not text) it is deleted; if both are refused it is given up
        (ids kept, logged). A post already gone counts as done. Network errors, 429 and a bot
        removed from the group are retried with backoff: the erasure itself never waits.
        """
        per_tick = 3  # edits share the group's ~20 posts a minute with alerts
        max_attempts = 30  # with backoff capped at 5 min: about two hours of trying
        rt = self.runtime
        for row in await rt.db.claim_redactions(rt.clock.now(), per_tick):
            chat_id, message_id = row.chat_id, row.message_id
            text = texts.REDACTED_ERASURE if row.reason == "erasure" else texts.REDACTED_EXPIRED
            try:
                try:
                    await self.bot.edit_message_text(text, chat_id, message_id)
                except BadRequest as exc:
                    gone = "not found" in exc.message or "not modified" in exc.message
                    if not gone:
                        await self.bot.delete_message(chat_id, message_id)
            except RetryAfter as exc:
                when = rt.clock.now() + timedelta(seconds=_seconds(exc.retry_after))
                await rt.db.redaction_retry(chat_id, message_id, when, "RetryAfter")
                return
            except BadRequest as exc:
                if "not found" not in exc.message:
                    log.warning("staff post %s can be neither edited nor deleted", message_id)
                    await rt.db.redaction_failed(chat_id, message_id, "BadRequest")
                    continue
            except (NetworkError, TelegramError) as exc:
                attempts = row.attempts + 1
                if attempts >= max_attempts:
                    log.warning("staff post %s not redacted after %d tries", message_id, attempts)
                    await rt.db.redaction_failed(chat_id, message_id, type(exc).__name__)
                else:
                    when = rt.clock.now() + backoff(attempts)
                    await rt.db.redaction_retry(chat_id, message_id, when, type(exc).__name__)
                continue
            await rt.db.redaction_done(chat_id, message_id)
            log.info("staff post %s redacted (%s)", message_id, row.reason)

    async def _note_unanswered_checkins(self) -> None:
        """A check-in left unanswered too long becomes a low-priority note to staff."""
        rt = self.runtime
        staff_chat = rt.settings.staff_chat_id
        if staff_chat is None:
            return
        now = rt.clock.now()
        plan = rt.content.plan
        for row in await rt.db.unanswered_checkins(now - plan.no_answer_alert_after):
            sent = row.sent_at
            step = plan.get(row.step_id)
            if step is not None and not step.note_if_unanswered:
                await rt.db.note_no_answer(row.id, None, "", now)  # checked, nothing to say
                continue
            text = html_format(
                texts.NO_ANSWER_NOTE,
                label=row.label,
                step=texts.step_title(step.days, step.offset) if step else row.step_id,
                sent=texts.short_time(sent, rt.settings.timezone),
            )
            await rt.db.note_no_answer(row.id, staff_chat, text, now)

    async def _send(self, row: OutboxMessage) -> bool:
        """Send one row and settle it; False means stop this tick (429)."""
        rt = self.runtime
        row_id = row.id
        reply_to = row.reply_to
        if row.purpose in THREAD_PURPOSES and row.alert_id is not None:
            state, first_post = await rt.db.alert_post_state(row.alert_id)
            if state in ("pending", "sending"):
                # The alert's own post has not gone out yet; keep the thread in order.
                await rt.db.outbox_retry(
                    row_id, rt.clock.now() + timedelta(seconds=2), "waiting", count_attempt=False
                )
                return True
            reply_to = first_post  # None if it failed: the follow-up goes out on its own
        plain = row.plain
        try:
            sent = await self.bot.send_message(
                row.chat_id,
                row.text,
                parse_mode=None if plain else ParseMode.HTML,
                reply_markup=keyboard(parse_buttons(row.buttons)),
                reply_parameters=ReplyParameters(
                    message_id=int(reply_to), allow_sending_without_reply=True
                )
                if reply_to
                else None,
            )
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            await rt.db.outbox_retry(
                row_id,
                rt.clock.now() + timedelta(seconds=seconds),
                "RetryAfter",
                count_attempt=False,
            )
            log.warning("Telegram asked to wait %.0f s; outbox paused", seconds)
            return False
        except Forbidden:
            chat_id = row.chat_id
            if chat_id == rt.settings.staff_chat_id:
                # The bot was removed from the staff group: an alert must not be dropped.
                log.error("staff group refused a message (bot removed?); will retry")
                await rt.db.outbox_retry(
                    row_id, rt.clock.now() + backoff(row.attempts), "Forbidden"
                )
            else:
                log.info("patient chat blocked the bot; patient stopped")
                await rt.db.outbox_failed(row_id, "Forbidden")
                await rt.db.stop_patient_chat(chat_id)
                await self._report_relay_failure(row, texts.RELAY_FAILED_BLOCKED)
            return True
        except BadRequest as exc:
            if plain < 2:
                # Rejected as it is (too long, bad markup, a button): plain text that fits,
                # then the same without buttons. Never a silent failure for a staff post.
                log.warning(
                    "outbox row %s rejected (%s); resent as plain text", row_id, type(exc).__name__
                )
                await rt.db.outbox_downgrade(
                    row_id, plain_fallback(row.text), keep_buttons=plain == 0
                )
                return True
            log.error("outbox row %s rejected by Telegram: %s", row_id, type(exc).__name__)
            await rt.db.outbox_failed(row_id, "BadRequest")
            await self._report_relay_failure(row, texts.RELAY_FAILED_REJECTED)
            return True
        except (NetworkError, TelegramError) as exc:
            await rt.db.outbox_retry(
                row_id, rt.clock.now() + backoff(row.attempts), type(exc).__name__
            )
            log.warning("outbox row %s will be retried after %s", row_id, type(exc).__name__)
            return True
        await rt.db.outbox_sent(row_id, sent.message_id, rt.clock.now())
        return True

    async def _report_relay_failure(self, row: OutboxMessage, reason: str) -> None:
        """A staff reply that could not reach the patient is said in its thread."""
        rt = self.runtime
        staff = rt.settings.staff_chat_id
        if row.purpose != "relay" or row.alert_id is None or staff is None:
            return
        await rt.db.enqueue(
            chat_id=staff,
            text=html_format(texts.RELAY_FAILED, alert_id=row.alert_id, reason=reason),
            purpose="followup",
            alert_id=row.alert_id,
            priority=50,
            now=rt.clock.now(),
        )
