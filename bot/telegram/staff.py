"""Handlers for the staff group: acknowledge, close, reply to patients, reload content.

Every staff power checks two things: the update comes from the staff group, and its sender
is staff (listed in STAFF_USER_IDS, or, when that list is empty, a current member of the
group). Refusals are logged with ids only.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot import callbacks as cb
from bot import texts
from bot.chart import pain_chart
from bot.enrollment import (
    INVITE_VALIDITY,
    appointment_error,
    label_error,
    link_for,
    parse_local,
)
from bot.escalation import close_buttons, draft_buttons, parse_buttons
from bot.notices import reload_refused_notice
from bot.reminders.plan import checkin_buttons
from bot.render import esc, html_format, split_lines
from bot.storage import Patient
from bot.telegram.common import Context, keyboard, runtime, wake_dispatcher

log = logging.getLogger("bot.staff")

MEMBER_STATUSES = {
    ChatMemberStatus.OWNER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.RESTRICTED,
}


# Telegram's placeholder user for anonymous group admins (``sender_chat`` holds the group).
ANONYMOUS_ADMIN_ID = 1087968824


async def is_staff(update: Update, context: Context) -> bool:
    """Sent in the staff group by a person who is staff.

    An anonymous group admin (or a channel post) carries no person: it counts as staff only
    when it speaks as the staff group itself and ALLOW_ANONYMOUS_STAFF is set.
    """
    rt = runtime(context)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.id != rt.settings.staff_chat_id:
        return False
    message = update.effective_message
    sender_chat = message.sender_chat if message is not None else None
    if sender_chat is not None or user.id == ANONYMOUS_ADMIN_ID:
        return (
            rt.settings.allow_anonymous_staff
            and sender_chat is not None
            and sender_chat.id == rt.settings.staff_chat_id
        )
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


StaffCommand = Callable[[Message, Context], Awaitable[None]]
# What ptb's CommandHandler takes: a coroutine function of the update and the context.
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def _staff_command(what: str) -> Callable[[StaffCommand], Handler]:
    """A command for staff in the staff group only: anyone else is refused (and logged), so
    no command can forget the check. The command gets the message that invoked it."""

    def wrap(command: StaffCommand) -> Handler:
        @functools.wraps(command)
        async def handler(update: Update, context: Context) -> None:
            if not await is_staff(update, context):
                await _refuse(update, context, what)
                return
            message = update.effective_message
            if message is not None:
                await command(message, context)

        return handler

    return wrap


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
        await context.bot.send_message(chat.id, esc(texts.STAFF_NOT_ALLOWED))


def _display_name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "?"
    return user.full_name or (user.username or str(user.id))


async def staff_callback(update: Update, context: Context) -> None:
    """Buttons on staff posts: 'Pris en charge', 'Clore', 'Envoyer au patient', 'Annuler'.

    Decoded strictly; acts only in the staff group, for staff, and only on the alert (or
    draft) of the very post the button is under.
    """
    query = update.callback_query
    if query is None:
        return
    data = cb.decode(query.data)
    if data is None or cb.audience(data) != "staff":
        await query.answer(texts.STAFF_UNKNOWN_ALERT, show_alert=True)
        return
    if not await is_staff(update, context):
        await _refuse(update, context, type(data).__name__)
        return
    if isinstance(data, cb.RelaySend | cb.RelayCancel):
        await _settle_draft(update, context, data)
        return
    rt = runtime(context)
    alert_id = data.alert_id  # type: ignore[union-attr]
    alert = await rt.db.alert(alert_id)
    message = query.message
    posted = (
        await rt.db.alert_by_post(message.chat.id, message.message_id)
        if message is not None
        else None
    )
    if alert is None or posted is None or posted.id != alert_id:
        await query.answer(texts.STAFF_UNKNOWN_ALERT, show_alert=True)
        return
    tz = rt.settings.timezone
    if isinstance(data, cb.Ack):
        outcome = await rt.staff.acknowledge(alert_id, query.from_user.id, _display_name(update))
        row = outcome.alert
        if not outcome.won:
            if row is not None and row.status not in ("open", "acknowledged"):
                await query.answer(texts.STAFF_ALREADY_CLOSED, show_alert=True)
            else:
                name = str(row.acknowledged_by_name) if row is not None else "?"
                await query.answer(texts.STAFF_ALREADY_ACK.format(name=name), show_alert=True)
            return
        await query.answer(texts.STAFF_ACK_DONE)
        line = html_format(
            texts.STAFF_ACK_LINE,
            name=_display_name(update),
            time=texts.clock_time(rt.clock.now(), tz),
        )
        await _mark_posts(context, alert_id, line, keep_close=True)
        wake_dispatcher(context)
    else:
        if not await rt.staff.close(alert_id):
            await query.answer(texts.STAFF_ALREADY_CLOSED, show_alert=True)
            return
        await query.answer(texts.STAFF_CLOSED_DONE)
        line = html_format(texts.STAFF_CLOSED_LINE, time=texts.clock_time(rt.clock.now(), tz))
        await _mark_posts(context, alert_id, line, keep_close=False)


async def _settle_draft(
    update: Update, context: Context, data: cb.RelaySend | cb.RelayCancel
) -> None:
    """'Envoyer au patient' or 'Annuler' under a relay preview: once, by any staff member."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    if isinstance(data, cb.RelaySend):
        draft, acked = await rt.staff.send_draft(
            data.draft_id, query.from_user.id, _display_name(update)
        )
        ok, template = draft is not None, texts.RELAY_SENT_LINE
        if acked and draft is not None:
            ack = html_format(
                texts.STAFF_ACK_LINE,
                name=_display_name(update),
                time=texts.clock_time(rt.clock.now(), rt.settings.timezone),
            )
            await _mark_posts(context, draft.alert_id, ack, keep_close=True)
    else:
        ok, template = await rt.staff.cancel_draft(data.draft_id), texts.RELAY_CANCELLED_LINE
    if not ok:
        await query.answer(texts.RELAY_DRAFT_GONE, show_alert=True)
        return
    await query.answer()
    wake_dispatcher(context)
    message = query.message
    if message is None:
        return
    line = html_format(
        template,
        name=_display_name(update),
        time=texts.clock_time(rt.clock.now(), rt.settings.timezone),
    )
    original = getattr(message, "text_html", None) or ""
    try:
        await context.bot.edit_message_text(
            original + line, chat_id=message.chat.id, message_id=message.message_id
        )
    except TelegramError as exc:
        log.info("could not update relay preview: %s", type(exc).__name__)


async def _mark_posts(context: Context, alert_id: int, line: str, keep_close: bool) -> None:
    """Show the new state on every post of the alert. Cosmetic: failures are only logged."""
    rt = runtime(context)
    markup = keyboard(_close_rows(alert_id)) if keep_close else None
    for post in await rt.db.alert_posts(alert_id):
        chat_id, message_id = post.chat_id, post.message_id
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
    return parse_buttons(close_buttons(alert_id))


async def staff_reply(update: Update, context: Context) -> None:
    """A staff member replies to an alert post: a preview, sent only on 'Envoyer au patient'.

    Why a preview rather than relaying every reply (#11): staff also talk among themselves
    under an alert ("@Marie tu peux voir ?"), and nothing a patient reads should leave by
    accident. The preview shows exactly what the patient will get, split as it will be.
    """
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    rt = runtime(context)
    target = message.reply_to_message
    if target.from_user is None or target.from_user.id != context.bot.id:
        return  # a conversation between staff members, not for the bot
    alert = await rt.db.alert_by_post(target.chat.id, target.message_id)
    if alert is None:
        return
    if not await is_staff(update, context):
        await _refuse(update, context, "relay")
        return
    text = (message.text or "").strip()
    if not text or update.effective_user is None:
        return
    draft_id, preview = await rt.staff.draft_reply(alert, update.effective_user.id, text)
    await message.reply_text(preview, reply_markup=keyboard(parse_buttons(draft_buttons(draft_id))))


# /alertes lists the oldest ones; a longer list helps nobody at 3 a.m.
OPEN_ALERTS_SHOWN = 50


@_staff_command("alertes")
async def alerts_command(message: Message, context: Context) -> None:
    """/alertes: threads in progress, oldest first."""
    rt = runtime(context)
    tz = rt.settings.timezone
    rows = await rt.db.open_alerts(OPEN_ALERTS_SHOWN + 1)
    more = len(rows) > OPEN_ALERTS_SHOWN
    lines: list[str] = []
    for r in rows[:OPEN_ALERTS_SHOWN]:
        state = texts.ALERT_STATE_WORDS.get(str(r.status), str(r.status))
        lines.append(
            html_format(
                texts.STAFF_OPEN_ALERT_LINE,
                id=r.id,
                kind=rt.staff.severity_label(r.severity),
                label=r.label or texts.UNENROLLED_LABEL,
                since=texts.short_time(r.created_at, tz),
                state=state.format(name=r.acknowledged_by_name or "?"),
            )
        )
    if more:
        lines.append(esc(texts.STAFF_OPEN_ALERTS_MORE.format(n=OPEN_ALERTS_SHOWN)))
    await _reply_list(
        message, texts.STAFF_OPEN_ALERTS_HEADER, lines, esc(texts.STAFF_OPEN_ALERTS_NONE)
    )


@_staff_command("aide")
async def staff_help(message: Message, context: Context) -> None:
    """/aide in the staff group."""
    await _reply(message, texts.STAFF_HELP)


@_staff_command("clore")
async def close_command(message: Message, context: Context) -> None:
    """/clore as a reply to an alert post, or /clore <numéro>."""
    rt = runtime(context)
    alert = None
    if message.reply_to_message is not None:
        alert = await rt.db.alert_by_post(
            message.reply_to_message.chat.id, message.reply_to_message.message_id
        )
    elif context.args and context.args[0].isdigit():
        alert = await rt.db.alert(int(context.args[0]))
    if alert is None:
        await message.reply_text(html.escape(texts.STAFF_CLOSE_USAGE))
        return
    if not await rt.staff.close(alert.id):
        await message.reply_text(html.escape(texts.STAFF_ALREADY_CLOSED))
        return
    line = html_format(
        texts.STAFF_CLOSED_LINE, time=texts.clock_time(rt.clock.now(), rt.settings.timezone)
    )
    await _mark_posts(context, alert.id, line, keep_close=False)
    await message.reply_text(html.escape(texts.STAFF_CLOSED_DONE))


@_staff_command("recharger")
async def reload_command(message: Message, context: Context) -> None:
    """/recharger: reload FAQ and triage; a broken file keeps the previous version live."""
    errors = await runtime(context).content.reload_async()
    if errors:
        await message.reply_text(reload_refused_notice(errors))
        return
    await message.reply_text(html.escape(texts.RELOAD_OK))


# --- Enrolment and follow-up ------------------------------------------------------------------


async def _reply(message: Message, html_text: str) -> None:
    """Answer in the staff group; a long list (/alertes in a busy night) goes as several
    messages rather than one Telegram would refuse."""
    for chunk in split_lines(html_text):
        await message.reply_text(chunk, do_quote=False)


async def _reply_list(message: Message, header: str, lines: list[str], empty: str) -> None:
    """A staff list (/alertes, /patients) under its header, or ``empty`` when it has none."""
    await _reply(message, "\n".join([header, *lines]) if lines else empty)


@_staff_command("inscrire")
async def enroll_command(message: Message, context: Context) -> None:
    """/inscrire AAAA-MM-JJ HH:MM libellé -> the patient's personal link."""
    rt = runtime(context)
    args = context.args or []
    if len(args) < 3:
        await _reply(message, html.escape(texts.ENROLL_USAGE))
        return
    when = await _date_arg(message, context, args[0], args[1])
    if when is None:
        return
    label = " ".join(args[2:])
    problem = label_error(label) or appointment_error(when, rt.clock.now())
    if problem is not None:
        await _reply(message, html.escape(problem))
        return
    invitation = await rt.enrollment.enroll(when, label)
    log.info("patient %s enrolled by staff", invitation.patient_id)
    await _reply(
        message,
        texts.ENROLLED.format(
            label=html.escape(label.strip()),
            patient_id=invitation.patient_id,
            date=texts.appointment_words(when, rt.settings.timezone),
            days=INVITE_VALIDITY.days,
            link=html.escape(link_for(context.bot.username, invitation.token)),
        ),
    )


async def _date_arg(message: Message, context: Context, day: str, hour: str) -> datetime | None:
    """The date typed as AAAA-MM-JJ HH:MM, hospital time; None once told it is invalid."""
    try:
        return parse_local(day, hour, runtime(context).settings.timezone)
    except ValueError:
        await _reply(message, html.escape(texts.DATE_INVALID))
        return None


async def _patient_arg(message: Message, context: Context, usage: str) -> Patient | None:
    rt = runtime(context)
    args = context.args or []
    if not args or not args[0].lstrip("n°#").isdigit():
        await _reply(message, html.escape(usage))
        return None
    patient = await rt.db.patient(int(args[0].lstrip("n°#")))
    if patient is None:
        await _reply(message, html.escape(texts.PATIENT_UNKNOWN))
    return patient


PatientCommand = Callable[[Message, Context, Patient], Awaitable[None]]


def _patient_command(what: str, usage: str) -> Callable[[PatientCommand], Handler]:
    """A staff command about one patient named by number (/annuler n°): the command gets
    the patient; a missing or unknown number is answered with ``usage`` or "inconnu"."""

    def wrap(command: PatientCommand) -> Handler:
        @functools.wraps(command)
        async def about(message: Message, context: Context) -> None:
            patient = await _patient_arg(message, context, usage)
            if patient is not None:
                await command(message, context, patient)

        return _staff_command(what)(about)

    return wrap


@_staff_command("patients")
async def patients_command(message: Message, context: Context) -> None:
    rt = runtime(context)
    tz = rt.settings.timezone
    rows = await rt.db.patients_overview(rt.clock.now() - timedelta(days=30))
    lines: list[str] = []
    now = rt.clock.now()
    for r in rows[:60]:
        when = r.appointment_at
        lines.append(
            texts.PATIENT_LINE.format(
                id=r.id,
                label=html.escape(r.label),
                date=f"{texts.short_time(when, tz)} ({texts.relative_day(when, now, tz)})",
                status=texts.PATIENT_STATUS.get(str(r.status), str(r.status)),
                sent=r.sent_steps,
                total=int(r.sent_steps) + int(r.pending_steps),
            )
        )
    await _reply_list(message, texts.PATIENTS_HEADER, lines, html.escape(texts.PATIENTS_EMPTY))


async def _tell_patient(context: Context, patient: Patient, text: str) -> None:
    """Queue a notice to a linked patient who has not erased their data."""
    if patient.chat_id is None or patient.status not in ("active", "stopped"):
        return
    rt = runtime(context)
    await rt.db.enqueue(
        chat_id=patient.chat_id,
        text=html.escape(text),
        purpose="notice",
        patient_id=patient.id,
        now=rt.clock.now(),
    )
    wake_dispatcher(context)


@_staff_command("deplacer")
async def move_command(message: Message, context: Context) -> None:
    """/deplacer n° AAAA-MM-JJ HH:MM: pending steps recomputed, patient told."""
    rt = runtime(context)
    args = context.args or []
    if len(args) != 3:
        await _reply(message, html.escape(texts.MOVE_USAGE))
        return
    patient = await _patient_arg(message, context, texts.MOVE_USAGE)
    if patient is None:
        return
    when = await _date_arg(message, context, args[1], args[2])
    if when is None:
        return
    problem = appointment_error(when, rt.clock.now())
    if problem is not None:
        await _reply(message, html.escape(problem))
        return
    await rt.enrollment.reschedule(patient.id, when, rt.content.plan)
    words = texts.appointment_words(when, rt.settings.timezone)
    await _tell_patient(context, patient, texts.RESCHEDULED_PATIENT.format(date=words))
    await _reply(message, texts.MOVED_STAFF.format(label=html.escape(patient.label), date=words))


@_patient_command("annuler", texts.CANCEL_USAGE)
async def cancel_command(message: Message, context: Context, patient: Patient) -> None:
    """/annuler n°: pending steps cancelled, patient told."""
    rt = runtime(context)
    await rt.enrollment.cancel(patient.id)
    text = texts.with_hotline(texts.CANCELLED_PATIENT, rt.settings.hotline_phone).format(
        date=texts.appointment_words(patient.appointment_at, rt.settings.timezone)
    )
    await _tell_patient(context, patient, text)
    await _reply(message, texts.CANCELLED_STAFF.format(label=html.escape(patient.label)))


@_patient_command("suivi", texts.FOLLOWUP_USAGE)
async def followup_command(message: Message, context: Context, patient: Patient) -> None:
    """/suivi n°: the patient's check-in answers over time, by day relative to the injection."""
    rt = runtime(context)
    tz = rt.settings.timezone
    when = patient.appointment_at
    lines = [
        texts.FOLLOWUP_HEADER.format(
            label=html.escape(patient.label), date=texts.appointment_words(when, tz)
        )
    ]
    plan = rt.content.plan
    scores: list[tuple[int, int]] = []
    for row in await rt.db.patient_steps(patient.id):
        if row.answer is None or row.answered_at is None:
            continue
        step = plan.get(row.step_id)
        answer = row.answer
        if step is not None:
            answer = next((lbl for lbl, v in checkin_buttons(step) if v == answer), answer)
        answered = row.answered_at
        if row.score is not None:
            days = (answered.astimezone(tz).date() - when.astimezone(tz).date()).days
            scores.append((days, row.score))
        lines.append(
            texts.FOLLOWUP_LINE.format(
                day=texts.relative_day(when, answered, tz),
                step=html.escape(row.step_id),
                answer=html.escape(answer),
            )
        )
    if len(lines) == 1:
        lines.append(html.escape(texts.FOLLOWUP_NONE))
    await _reply(message, "\n".join(lines))
    if len(scores) >= 1:
        png = await asyncio.to_thread(
            pain_chart, scores, texts.CHART_TITLE.format(label=patient.label)
        )
        await message.reply_photo(png, do_quote=False)
