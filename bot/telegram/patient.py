"""Handlers for the patient's private chat with the bot."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import callbacks as cb
from bot import texts
from bot.conversation import Button, Reply
from bot.session import CheckinOutcome
from bot.telegram.common import Context, execute, runtime, send_reply, wake_dispatcher

log = logging.getLogger("bot.patient")

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


# A patient handler given the chat and the message it acts on, known to be there.
OnMessage = Callable[[Update, Context, Chat, Message], Awaitable[None]]


def _with_message(handle: OnMessage) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A handler of the patient's messages (text, media, commands, edits); an update with
    no chat or no message is none of its business."""

    @functools.wraps(handle)
    async def handler(update: Update, context: Context) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is not None and message is not None:
            await handle(update, context, chat, message)

    return handler


def _info(template: str, hotline: str, **values: str) -> Reply:
    return Reply("info", texts.with_hotline(template, hotline).format(**values))


async def start(update: Update, context: Context) -> None:
    """/start: with a personal link, ask consent; after /stop, resume; else welcome."""
    chat = update.effective_chat
    if chat is None:
        return
    rt = runtime(context)
    tz = rt.settings.timezone
    hotline = rt.settings.hotline_phone
    token = context.args[0] if context.args else ""
    if token:
        patient = await rt.enrollment.open_link(token, chat.id)
        if patient is None:
            log.info("invalid or used personal link opened")
            await send_reply(context, chat.id, _info(texts.INVITE_INVALID, hotline))
            return
        when = patient.appointment_at
        text = texts.with_privacy(texts.CONSENT_REQUEST, rt.settings).format(
            date=texts.appointment_words(when, tz), retention=str(rt.settings.retention_days)
        )
        buttons = (
            (Button(texts.CONSENT_YES, cb.encode(cb.Consent(True))),),
            (Button(texts.CONSENT_NO, cb.encode(cb.Consent(False))),),
        )
        await send_reply(context, chat.id, Reply("info", text, buttons=buttons))
        return
    resumed = await rt.enrollment.resume(chat.id)
    if resumed is not None:
        when = resumed.appointment_at
        reply = _info(texts.RESUMED, hotline, date=texts.appointment_words(when, tz))
        await send_reply(context, chat.id, reply)
        wake_dispatcher(context)
        return
    await send_reply(context, chat.id, rt.content.conversation.welcome())


async def consent_callback(context: Context, query: CallbackQuery, chat_id: int, yes: bool) -> None:
    rt = runtime(context)
    hotline = rt.settings.hotline_phone
    if not yes:
        await query.answer()
        await rt.enrollment.decline(chat_id)
        await _drop_buttons(query)
        declined = texts.with_privacy(texts.CONSENT_DECLINED, rt.settings)
        await send_reply(context, chat_id, _info(declined, hotline))
        return
    patient = await rt.enrollment.consent(chat_id, rt.content.plan)
    if patient is None:
        await query.answer(texts.STALE_BUTTON)
        await send_reply(context, chat_id, _info(texts.INVITE_INVALID, hotline))
        return
    await _taken(query)
    when = patient.appointment_at
    reply = _info(
        texts.CONSENT_DONE, hotline, date=texts.appointment_words(when, rt.settings.timezone)
    )
    await send_reply(context, chat_id, reply)
    log.info("patient %s consented", patient.id)
    wake_dispatcher(context)


async def _taken(query: CallbackQuery) -> None:
    """The press is acted on: stop the client's spinner, then remove the buttons."""
    await query.answer()
    await _drop_buttons(query)


async def _drop_buttons(query: CallbackQuery) -> None:
    """Remove the buttons once used, so a second tap cannot act twice. Cosmetic if it fails."""
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        log.info("could not remove buttons: %s", type(exc).__name__)


async def appointment(update: Update, context: Context) -> None:
    """/rdv: the appointment in words, and how far it is."""
    chat = update.effective_chat
    if chat is None:
        return
    rt = runtime(context)
    patient = await rt.db.patient_by_chat(chat.id)
    hotline = rt.settings.hotline_phone
    if patient is None or patient.appointment_at is None or patient.status == "cancelled":
        await send_reply(context, chat.id, _info(texts.NO_APPOINTMENT_PATIENT, hotline))
        return
    tz = rt.settings.timezone
    when = patient.appointment_at
    reply = _info(
        texts.APPOINTMENT_IS,
        hotline,
        date=texts.appointment_words(when, tz),
        when=texts.relative_words(when, rt.clock.now(), tz),
    )
    await send_reply(context, chat.id, reply)


async def stop(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    rt = runtime(context)
    await rt.enrollment.stop(chat.id)
    await send_reply(context, chat.id, _info(texts.STOPPED, rt.settings.hotline_phone))


async def erase(update: Update, context: Context) -> None:
    """/supprimer asks first: erasure is final."""
    chat = update.effective_chat
    if chat is None:
        return
    await send_reply(context, chat.id, _erase_question())


def _erase_question() -> Reply:
    buttons = (
        (
            Button(texts.ERASE_YES, cb.encode(cb.Erase(True))),
            Button(texts.ERASE_NO, cb.encode(cb.Erase(False))),
        ),
    )
    return Reply("info", texts.ERASE_CONFIRM, buttons=buttons)


async def erase_callback(context: Context, query: CallbackQuery, chat_id: int, yes: bool) -> None:
    rt = runtime(context)
    await _taken(query)
    if not yes:
        await send_reply(context, chat_id, Reply("info", texts.ERASE_KEPT))
        return
    patient = await rt.enrollment.erase(chat_id)
    log.info("chat data erased on request")
    if patient is not None and rt.settings.staff_chat_id is not None:
        await rt.db.enqueue(
            chat_id=rt.settings.staff_chat_id,
            # The number only: the label would stay in the outbox and the group (#12).
            text=texts.PATIENT_LEFT.format(patient_id=patient.id),
            purpose="notice",
            now=rt.clock.now(),
        )
        wake_dispatcher(context)
    erased = texts.with_privacy(texts.ERASED, rt.settings)
    await send_reply(context, chat_id, _info(erased, rt.settings.hotline_phone))


async def checkin_callback(
    context: Context, query: CallbackQuery, chat_id: int, answer: cb.CheckinAnswer, update_id: int
) -> None:
    """An answer button under a check-in; the step must belong to this very chat."""
    session = runtime(context).session
    outcome, actions = await session.answer_checkin(
        chat_id, answer.step_row, answer.value, update_id
    )
    if outcome is CheckinOutcome.STALE:
        await query.answer(texts.STALE_BUTTON)
        return
    if outcome is CheckinOutcome.ALREADY:
        await query.answer(texts.CHECKIN_ALREADY)
        return
    await _taken(query)
    await execute(context, actions)


async def help_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    rt = runtime(context)
    reply = rt.content.conversation.help()
    privacy = texts.with_privacy(texts.HELP_PRIVACY, rt.settings)
    await send_reply(context, chat.id, replace(reply, text=f"{reply.text}\n\n{privacy}"))


async def questions(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await send_reply(context, chat.id, runtime(context).content.conversation.themes())


@_with_message
async def urgence(update: Update, context: Context, chat: Chat, message: Message) -> None:
    rt = runtime(context)
    reply = rt.content.conversation.human_request()
    actions = await rt.session.urgent(chat.id, message.text or "/urgence", reply, update.update_id)
    await execute(context, actions)


@_with_message
async def text_message(update: Update, context: Context, chat: Chat, message: Message) -> None:
    await handle_text(context, chat.id, message.text or "", update.update_id)


async def handle_text(context: Context, chat_id: int, text: str, update_id: int) -> None:
    actions = await runtime(context).session.on_text(chat_id, text, update_id)
    await execute(context, actions)


async def run_command(context: Context, chat_id: int, command: str) -> None:
    """A command's flow asked for in words ("STOP", "supprimer mes données")."""
    rt = runtime(context)
    if command == "stop":
        await rt.enrollment.stop(chat_id)
        await send_reply(context, chat_id, _info(texts.STOPPED, rt.settings.hotline_phone))
    elif command == "supprimer":
        await send_reply(context, chat_id, _erase_question())


@_with_message
async def media_message(update: Update, context: Context, chat: Chat, message: Message) -> None:
    rt = runtime(context)
    caption = message.caption or ""
    if caption.strip():
        # A photo captioned "je saigne" is a message like any other: read the caption.
        await handle_text(context, chat.id, caption, update.update_id)
        return
    kind = media_kind(message)
    if kind == "other":  # nothing we know of: treat it as an empty message
        await send_reply(context, chat.id, rt.content.conversation.respond(""))
        return
    await send_reply(context, chat.id, rt.content.conversation.media(kind))


# Commands that stay answered in a flood: /urgence only gives the phone line.
FLOOD_EXEMPT = frozenset({"urgence"})


@_with_message
async def flood_gate(update: Update, context: Context, chat: Chat, message: Message) -> None:
    """Commands and uncaptioned media count toward the per-chat flood limit too (#12).

    Plain text is counted in the session (which still reads every message for urgency); this
    gate covers what the session never sees, so 400 ``/questions`` from one chat can't hold up
    everyone else's replies. Beyond the limit: one polite notice per window, then silence.
    """
    words = (message.text or "").split(maxsplit=1)
    if words and words[0].lstrip("/").split("@")[0].lower() in FLOOD_EXEMPT:
        return
    rt = runtime(context)
    if not rt.throttle.hit(chat.id):
        return
    log.info("flood limit: update %s from a chat over its limit ignored", update.update_id)
    if rt.throttle.should_warn(chat.id):
        notice = texts.with_hotline(texts.SLOW_DOWN, rt.settings.hotline_phone)
        await send_reply(context, chat.id, Reply("info", notice))
    raise ApplicationHandlerStop


async def stranger_group(update: Update, context: Context) -> None:
    """Any update from a group that is not the staff group: the bot leaves, silently.

    Someone added the bot to their group; patients' conversations happen in private chats
    only, and nothing said in such a group is read or answered.
    """
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return
    if chat.id == runtime(context).settings.staff_chat_id:
        return
    log.info("leaving a group the bot was added to by someone else (chat %s)", chat.id)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        log.info("could not leave chat: %s", type(exc).__name__)


@_with_message
async def edited_message(update: Update, context: Context, chat: Chat, message: Message) -> None:
    """An edit gets no second answer, unless the new text is urgent: that is never ignored."""
    text = message.text or message.caption or ""
    actions = await runtime(context).session.on_edit(chat.id, text, update.update_id)
    await execute(context, actions)


async def unknown_command(update: Update, context: Context) -> None:
    await help_command(update, context)


async def callback(update: Update, context: Context) -> None:
    """Every button pressed in a private chat. Data is never trusted: decoded strictly, and a
    patient button acts only in a private chat, on that chat's own rows."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    data = cb.decode(query.data)
    if data is None or chat.type != "private" or cb.audience(data) != "patient":
        log.info("button refused: unknown data or wrong chat")
        await query.answer(texts.STALE_BUTTON)
        return
    conv = runtime(context).content.conversation
    reply: Reply | None = None
    # The buttons that act get the query and the chat checked above, never the raw update.
    match data:
        case cb.Consent(yes):
            await consent_callback(context, query, chat.id, yes)
            return
        case cb.Erase(yes):
            await erase_callback(context, query, chat.id, yes)
            return
        case cb.CheckinAnswer():
            await checkin_callback(context, query, chat.id, data, update.update_id)
            return
        case cb.Forward(question_id):
            await forward_question(context, query, chat.id, question_id)
            return
        case cb.OtherQuestion():
            reply = conv.other_question()
        case cb.Themes():
            reply = conv.themes()
        case cb.FaqAnswer(entry_id):
            reply = conv.answer_by_id(entry_id)
        case cb.Theme(index):
            reply = conv.theme(index)
    if reply is None:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await send_reply(context, chat.id, reply)


async def forward_question(
    context: Context, query: CallbackQuery, chat_id: int, row_id: int
) -> None:
    rt = runtime(context)
    row = await rt.db.unanswered(row_id)
    # Only the patient who asked can forward their own question.
    if row is None or row.chat_id != chat_id or rt.escalation is None:
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    await rt.escalation.forward_question(chat_id, row.text)
    wake_dispatcher(context)
    # The button has done its job: remove it so a second tap cannot send it twice.
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(None)
        except Exception:
            log.info("could not remove the forward button")
    await send_reply(
        context,
        chat_id,
        Reply("info", texts.with_hotline(texts.QUESTION_FORWARDED, rt.settings.hotline_phone)),
    )
