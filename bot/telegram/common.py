"""Small helpers shared by the Telegram handlers."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.conversation import Button, Reply
from bot.escalation import buttons_json
from bot.render import esc
from bot.runtime import Runtime
from bot.session import Action, DropButtons, RunCommand, Send, StaffDirect, Wake
from bot.telegram.ratelimit import URGENT

log = logging.getLogger("bot.telegram")

Context = ContextTypes.DEFAULT_TYPE


def runtime(context: Context) -> Runtime:
    rt = context.bot_data["runtime"]
    assert isinstance(rt, Runtime)
    return rt


def keyboard(
    rows: tuple[tuple[Button, ...], ...] | list[list[tuple[str, str]]],
) -> InlineKeyboardMarkup | None:
    """Inline keyboard from core buttons or (label, data) pairs; None when empty."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, callback_data=b.data)
                if isinstance(b, Button)
                else InlineKeyboardButton(b[0], callback_data=b[1])
                for b in row
            ]
            for row in rows
        ]
    )


def reply_html(reply: Reply) -> str:
    """Core replies are plain text; Telegram gets them HTML-escaped."""
    return esc(reply.text)


async def execute(context: Context, actions: Sequence[Action]) -> None:
    """Carry out what the session decided, in order."""
    from bot.telegram import patient  # the command flows live with the patient handlers

    for action in actions:
        if isinstance(action, Send):
            rows = [list(r) for r in action.extra_rows]
            await send_reply(context, action.chat_id, action.reply, rows, urgent=action.urgent)
        elif isinstance(action, StaffDirect):
            await post_to_staff_now(context, action.text)
        elif isinstance(action, RunCommand):
            await patient.run_command(context, action.chat_id, action.command)
        elif isinstance(action, DropButtons):
            try:
                await context.bot.edit_message_reply_markup(
                    action.chat_id, action.message_id, reply_markup=None
                )
            except TelegramError as exc:  # cosmetic: the answer is recorded either way
                log.info("could not remove buttons: %s", type(exc).__name__)
        elif isinstance(action, Wake):
            wake_dispatcher(context)


async def post_to_staff_now(context: Context, text: str) -> None:
    """Best effort, outside the outbox (used when storage fails): never raises."""
    staff = runtime(context).settings.staff_chat_id
    if staff is None:
        return
    try:
        await context.bot.send_message(staff, text)
    except TelegramError as exc:
        log.critical("direct staff post failed too (%s)", type(exc).__name__)


async def send_reply(
    context: Context,
    chat_id: int,
    reply: Reply,
    extra_rows: list[list[Button]] | None = None,
    *,
    urgent: bool = False,
) -> Message | None:
    """Send a core reply to a chat. If Telegram fails, queue it in the outbox instead.

    Returns the sent message, or None when it was queued or the chat blocked the bot.
    """
    rows: tuple[tuple[Button, ...], ...] = reply.buttons
    if extra_rows:
        rows = rows + tuple(tuple(r) for r in extra_rows)
    text = reply_html(reply)
    markup = keyboard(rows)
    try:
        if urgent:
            return await context.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                rate_limit_args=URGENT,  # type: ignore[arg-type]  # InboxBot's limiter takes it
            )
        return await context.bot.send_message(chat_id, text, reply_markup=markup)
    except Forbidden:
        await runtime(context).db.stop_patient_chat(chat_id)
        return None
    except BadRequest:
        raise
    except TelegramError as exc:
        # Telegram is down or slow: the dispatcher will deliver it when it is back.
        # 5xx, timeouts, a 429 the rate limiter gave up on: the dispatcher takes over.
        log.warning("reply to chat queued after %s", type(exc).__name__)
        rt = runtime(context)
        await rt.db.enqueue(
            chat_id=chat_id,
            text=text,
            buttons=buttons_json([[(b.label, b.data) for b in row] for row in rows])
            if rows
            else None,
            purpose="reply",
            now=rt.clock.now(),
        )
        wake_dispatcher(context)
        return None


def wake_dispatcher(context: Context) -> None:
    """Ask the dispatcher to run now rather than at its next tick."""
    waker = context.bot_data.get("wake_dispatcher")
    if callable(waker):
        waker()


def update_id(update: object) -> int | None:
    return update.update_id if isinstance(update, Update) else None
