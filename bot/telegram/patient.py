"""Handlers for the patient's private chat with the bot."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot import texts
from bot.conversation import CB_FAQ, CB_OTHER, CB_THEME, CB_THEMES, Button, Reply
from bot.normalize import normalize
from bot.telegram.common import Context, runtime, send_reply, wake_dispatcher

log = logging.getLogger("bot.patient")

CB_FORWARD = "fwd:"

# What Telegram can carry besides text, by the Message attribute that holds it.
MEDIA_KINDS = (
    "voice",
    "video_note",
    "audio",
    "photo",
    "video",
    "animation",
    "sticker",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
)


def media_kind(message: Message) -> str:
    for kind in MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return "other"


async def start(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await send_reply(context, chat.id, runtime(context).content.conversation.welcome())


async def help_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await send_reply(context, chat.id, runtime(context).content.conversation.help())


async def questions(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await send_reply(context, chat.id, runtime(context).content.conversation.themes())


async def urgence(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    conv = runtime(context).content.conversation
    await handle_urgent(context, chat.id, message.text or "/urgence", conv.human_request())


async def handle_urgent(context: Context, chat_id: int, text: str, reply: Reply) -> None:
    """Phone number to the patient first, then the staff alert (which is only a DB row)."""
    await send_reply(context, chat_id, reply)
    rt = runtime(context)
    if rt.escalation is None or reply.triage is None:
        log.error("urgent message but no staff group configured; patient got the hotline")
        return
    alert_id = await rt.escalation.raise_alert(chat_id, text, reply.triage)
    log.info("alert %s raised, severity %s", alert_id, reply.triage.severity)
    wake_dispatcher(context)


async def text_message(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    await handle_text(context, chat.id, message.text or "")


async def handle_text(context: Context, chat_id: int, text: str) -> None:
    rt = runtime(context)
    reply = rt.content.conversation.respond(text)
    if reply.kind == "urgent":
        await handle_urgent(context, chat_id, text, reply)
        return
    if rt.escalation is not None:
        open_alert = await rt.escalation.open_alert(chat_id)
        if open_alert is not None:
            # A person is on the case: the message goes to them, the bot steps back.
            await rt.escalation.follow_up(open_alert, text)
            wake_dispatcher(context)
            await send_reply(
                context,
                chat_id,
                Reply(
                    "info", texts.with_hotline(texts.FOLLOWUP_FORWARDED, rt.settings.hotline_phone)
                ),
            )
            return
    extra: list[list[Button]] = []
    if reply.record_unanswered:
        patient = await rt.db.patient_by_chat(chat_id)
        row_id = await rt.db.record_unanswered(
            chat_id=chat_id,
            patient_id=int(patient["id"]) if patient is not None else None,
            kind=reply.kind,
            normalized=normalize(text)[:500],
            text=text,
            now=rt.clock.now(),
        )
        if reply.offer_forward and rt.escalation is not None:
            extra.append([Button(texts.FORWARD_BUTTON, f"{CB_FORWARD}{row_id}")])
    await send_reply(context, chat_id, reply, extra)


async def media_message(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    rt = runtime(context)
    caption = message.caption or ""
    if caption.strip():
        # A photo captioned "je saigne" is a message like any other: read the caption.
        await handle_text(context, chat.id, caption)
        return
    await send_reply(context, chat.id, rt.content.conversation.media(media_kind(message)))


async def edited_message(update: Update, context: Context) -> None:
    """An edit gets no second answer, unless the new text is urgent: that is never ignored."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    text = message.text or message.caption or ""
    rt = runtime(context)
    found = rt.content.conversation.triage.assess(text) if text.strip() else None
    if found is not None:
        await handle_urgent(context, chat.id, text, rt.content.conversation.urgent(found))


async def unknown_command(update: Update, context: Context) -> None:
    await help_command(update, context)


async def callback(update: Update, context: Context) -> None:
    """Buttons under the bot's messages in a private chat. Data is never trusted."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    data = query.data or ""
    conv = runtime(context).content.conversation
    reply: Reply | None = None
    if data == CB_OTHER:
        reply = conv.other_question()
    elif data == CB_THEMES:
        reply = conv.themes()
    elif data.startswith(CB_FAQ):
        reply = conv.answer_by_id(data[len(CB_FAQ) :])
    elif data.startswith(CB_THEME) and data[len(CB_THEME) :].isdigit():
        reply = conv.theme(int(data[len(CB_THEME) :]))
    elif data.startswith(CB_FORWARD) and data[len(CB_FORWARD) :].isdigit():
        await forward_question(update, context, int(data[len(CB_FORWARD) :]))
        return
    if reply is None:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await send_reply(context, chat.id, reply)


async def forward_question(update: Update, context: Context, row_id: int) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    rt = runtime(context)
    row = await rt.db.unanswered(row_id)
    # Only the patient who asked can forward their own question.
    if row is None or row["chat_id"] != chat.id or rt.escalation is None:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await rt.escalation.forward_question(chat.id, str(row["text"]))
    wake_dispatcher(context)
    # The button has done its job: remove it so a second tap cannot send it twice.
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(None)
        except Exception:
            log.info("could not remove the forward button")
    await send_reply(
        context,
        chat.id,
        Reply("info", texts.with_hotline(texts.QUESTION_FORWARDED, rt.settings.hotline_phone)),
    )
