"""Handlers for the staff group: acknowledge, close, reply to patients, reload content.

Every staff power checks two things: the update comes from the staff group, and its sender
is staff (listed in STAFF_USER_IDS, or, when that list is empty, a current member of the
group). Refusals are logged with ids only.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot import texts
from bot.escalation import close_buttons
from bot.telegram.common import Context, keyboard, runtime, wake_dispatcher

log = logging.getLogger("bot.staff")

MEMBER_STATUSES = {
    ChatMemberStatus.OWNER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.RESTRICTED,
}


async def is_staff(update: Update, context: Context) -> bool:
    rt = runtime(context)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.id != rt.settings.staff_chat_id:
        return False
    if rt.settings.staff_user_ids:
        return user.id in rt.settings.staff_user_ids
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("staff check failed (%s); refusing", type(exc).__name__)
        return False
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in MEMBER_STATUSES


async def _refuse(update: Update, context: Context, what: str) -> None:
    user = update.effective_user
    chat = update.effective_chat
    log.warning(
        "refused staff action %s from user %s in chat %s",
        what,
        user.id if user else None,
        chat.id if chat else None,
    )
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STAFF_NOT_ALLOWED, show_alert=True)
    elif chat is not None and chat.type == "private":
        await context.bot.send_message(chat.id, html.escape(texts.STAFF_NOT_ALLOWED))


def _display_name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "?"
    return user.full_name or (user.username or str(user.id))


async def staff_callback(update: Update, context: Context) -> None:
    """'Pris en charge' and 'Clore' buttons on alert posts."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    action, _, raw_id = data.partition(":")
    if not await is_staff(update, context):
        await _refuse(update, context, action)
        return
    rt = runtime(context)
    alert_id = int(raw_id) if raw_id.isdigit() else -1
    alert = await rt.db.alert(alert_id)
    # A forged or stale button never acts on another alert: the id must match the post.
    message = query.message
    posted = (
        await rt.db.alert_by_post(message.chat.id, message.message_id)
        if message is not None
        else None
    )
    if alert is None or rt.escalation is None or posted is None or posted["id"] != alert_id:
        await query.answer(texts.STAFF_UNKNOWN_ALERT, show_alert=True)
        return
    tz = rt.settings.timezone
    if action == "ack":
        outcome = await rt.escalation.acknowledge(
            alert_id, query.from_user.id, _display_name(update)
        )
        row = outcome.alert
        if not outcome.won:
            if row is not None and row["status"] == "closed":
                await query.answer(texts.STAFF_ALREADY_CLOSED, show_alert=True)
            else:
                name = str(row["acknowledged_by_name"]) if row is not None else "?"
                await query.answer(texts.STAFF_ALREADY_ACK.format(name=name), show_alert=True)
            return
        await query.answer(texts.STAFF_ACK_DONE)
        line = texts.STAFF_ACK_LINE.format(
            name=html.escape(_display_name(update)), time=texts.clock_time(rt.clock.now(), tz)
        )
        await _mark_posts(context, alert_id, line, keep_close=True)
        wake_dispatcher(context)
    elif action == "close":
        if not await rt.escalation.close(alert_id):
            await query.answer(texts.STAFF_ALREADY_CLOSED, show_alert=True)
            return
        await query.answer(texts.STAFF_CLOSED_DONE)
        line = texts.STAFF_CLOSED_LINE.format(time=texts.clock_time(rt.clock.now(), tz))
        await _mark_posts(context, alert_id, line, keep_close=False)
    else:
        await query.answer(texts.STAFF_UNKNOWN_ALERT, show_alert=True)


async def _mark_posts(context: Context, alert_id: int, line: str, keep_close: bool) -> None:
    """Show the new state on every post of the alert. Cosmetic: failures are only logged."""
    rt = runtime(context)
    markup = keyboard(_close_rows(alert_id)) if keep_close else None
    for post in await rt.db.alert_posts(alert_id):
        chat_id, message_id = int(post["chat_id"]), int(post["message_id"])
        text = await rt.db.sent_text(chat_id, message_id)
        if text is None:
            continue
        try:
            await context.bot.edit_message_text(
                text + line, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramError as exc:
            log.info("could not update alert post: %s", type(exc).__name__)


def _close_rows(alert_id: int) -> list[list[tuple[str, str]]]:
    from bot.escalation import parse_buttons

    return parse_buttons(close_buttons(alert_id))


async def staff_reply(update: Update, context: Context) -> None:
    """A staff member replies to an alert post: the bot sends the text to the patient."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    rt = runtime(context)
    target = message.reply_to_message
    if target.from_user is None or target.from_user.id != context.bot.id:
        return  # a conversation between staff members, not for the bot
    alert = await rt.db.alert_by_post(target.chat.id, target.message_id)
    if alert is None or rt.escalation is None:
        return
    if not await is_staff(update, context):
        await _refuse(update, context, "relay")
        return
    text = (message.text or "").strip()
    if not text:
        return
    if alert["status"] == "open" and update.effective_user is not None:
        # Answering the patient is taking charge.
        outcome = await rt.escalation.acknowledge(
            int(alert["id"]), update.effective_user.id, _display_name(update)
        )
        if outcome.won:
            line = texts.STAFF_ACK_LINE.format(
                name=html.escape(_display_name(update)),
                time=texts.clock_time(rt.clock.now(), rt.settings.timezone),
            )
            await _mark_posts(context, int(alert["id"]), line, keep_close=True)
    await rt.escalation.relay(alert, text)
    wake_dispatcher(context)
    await message.reply_text(html.escape(texts.STAFF_RELAYED))


async def close_command(update: Update, context: Context) -> None:
    """/clore as a reply to an alert post, or /clore <numéro>."""
    if not await is_staff(update, context):
        await _refuse(update, context, "clore")
        return
    message = update.effective_message
    if message is None:
        return
    rt = runtime(context)
    alert = None
    if message.reply_to_message is not None:
        alert = await rt.db.alert_by_post(
            message.reply_to_message.chat.id, message.reply_to_message.message_id
        )
    elif context.args and context.args[0].isdigit():
        alert = await rt.db.alert(int(context.args[0]))
    if alert is None or rt.escalation is None:
        await message.reply_text(html.escape(texts.STAFF_CLOSE_USAGE))
        return
    if not await rt.escalation.close(int(alert["id"])):
        await message.reply_text(html.escape(texts.STAFF_ALREADY_CLOSED))
        return
    line = texts.STAFF_CLOSED_LINE.format(
        time=texts.clock_time(rt.clock.now(), rt.settings.timezone)
    )
    await _mark_posts(context, int(alert["id"]), line, keep_close=False)
    await message.reply_text(html.escape(texts.STAFF_CLOSED_DONE))


async def reload_command(update: Update, context: Context) -> None:
    """/recharger: reload FAQ and triage; a broken file keeps the previous version live."""
    if not await is_staff(update, context):
        await _refuse(update, context, "recharger")
        return
    message = update.effective_message
    if message is None:
        return
    errors = runtime(context).content.reload()
    if errors:
        shown = "\n".join(str(e) for e in errors[:20])
        await message.reply_text(
            html.escape(texts.RELOAD_FAILED) + f"\n<pre>{html.escape(shown)}</pre>"
        )
        return
    await message.reply_text(html.escape(texts.RELOAD_OK))
