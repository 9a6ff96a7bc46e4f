"""All the Telegram wiring in one place: ``build_application``.

Handlers are registered in priority groups so that the order is explicit: staff-group
handlers, then the patient's private chat. Anything in other chats is ignored.
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Callable

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot import texts
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content import Content
from bot.health import Heartbeat
from bot.notices import reload_refused_notice
from bot.runtime import Runtime
from bot.telegram import patient, staff
from bot.telegram.common import Context, update_id
from bot.telegram.dispatcher import Dispatcher
from bot.telegram.inbox import Inbox, InboxBot
from bot.telegram.ratelimit import PriorityRateLimiter
from bot.telegram.request import build_request
from bot.telegram.updates import PerChatUpdateProcessor

log = logging.getLogger("bot.app")

# How often the dispatcher looks for due rows when nothing woke it.
DISPATCH_INTERVAL_S = 2.0
# How often content files are checked for changes (reload without restart).
CONTENT_WATCH_INTERVAL_S = 5.0
RATE_LIMIT_RETRIES = 3


async def error_handler(update: object, context: Context) -> None:
    """Log what failed and where, never what was written (patients' words are health data)."""
    err = context.error
    where = "".join(traceback.format_tb(err.__traceback__)) if err is not None else ""
    log.error("update %s failed with %s\n%s", update_id(update), type(err).__name__, where.rstrip())
    # A patient whose message broke something still gets the number to call.
    if isinstance(update, Update) and update.effective_chat is not None:
        chat = update.effective_chat
        if chat.type == "private":
            rt: Runtime = context.bot_data["runtime"]
            text = texts.with_hotline(texts.INTERNAL_ERROR, rt.settings.hotline_phone)
            try:
                await context.bot.send_message(chat.id, html.escape(text))
            except TelegramError as exc:
                log.error("could not apologise to the chat: %s", type(exc).__name__)


def _is_urgent(rt: Runtime) -> Callable[[Update], bool]:
    def check(update: Update) -> bool:
        message = update.message or update.edited_message
        if message is None or message.chat.type != "private":
            return False
        text = message.text or message.caption or ""
        if text.startswith("/urgence"):
            return True
        return bool(text.strip()) and rt.content.conversation.triage.assess(text) is not None

    return check


async def _attach_inbox(app: Application, rt: Runtime) -> None:  # type: ignore[type-arg]
    """Store updates before confirming them, and handle again what a crash cut short."""
    bot = app.bot
    processor = app.update_processor
    if not isinstance(bot, InboxBot) or not isinstance(processor, PerChatUpdateProcessor):
        return

    def fast_lane(update: Update) -> None:
        app.create_task(processor.do_process_update(update, app.process_update(update)))

    inbox = Inbox(rt.db, rt.clock, _is_urgent(rt), fast_lane)
    bot.attach_inbox(inbox)
    processor.inbox = inbox
    again, given_up = await inbox.unhandled(bot)
    for update in again:
        await app.update_queue.put(update)
    if again:
        log.warning("inbox: %d update(s) from before a crash handled again", len(again))
    for update in given_up:
        chat = update.effective_chat
        if chat is not None and chat.type == "private":
            text = texts.with_hotline(texts.INTERNAL_ERROR, rt.settings.hotline_phone)
            await rt.db.enqueue(
                chat_id=chat.id, text=html.escape(text), purpose="reply", now=rt.clock.now()
            )
        await inbox.done(update.update_id)


async def post_init(app: Application) -> None:  # type: ignore[type-arg]
    rt: Runtime = app.bot_data["runtime"]
    await rt.start()
    await _attach_inbox(app, rt)
    dispatcher = Dispatcher(rt, app.bot)
    app.bot_data["dispatcher"] = dispatcher

    async def tick(_context: Context) -> None:
        await dispatcher.tick()

    async def watch(_context: Context) -> None:
        await watch_content(rt)

    if app.job_queue is not None:
        app.job_queue.run_repeating(tick, interval=DISPATCH_INTERVAL_S, first=0.1, name="dispatch")
        app.job_queue.run_repeating(
            watch, interval=CONTENT_WATCH_INTERVAL_S, first=CONTENT_WATCH_INTERVAL_S, name="watch"
        )
        job_queue = app.job_queue

        def wake() -> None:
            # One pending wake-up is enough: a burst of urgent messages must not queue one
            # tick each (they would all wait on the dispatcher, and delay shutdown).
            if not dispatcher.woken:
                dispatcher.woken = True
                job_queue.run_once(tick, 0, name="dispatch-now")

        app.bot_data["wake_dispatcher"] = wake
    await app.bot.set_my_commands(
        [BotCommand(name, description) for name, description in texts.COMMANDS_MENU]
    )


async def watch_content(rt: Runtime) -> None:
    """Reload content files that changed on disk; tell staff when an edit is refused."""
    # Off the event loop: a large file must not hold up an urgent reply (#12).
    errors = await rt.content.reload_if_changed_async()
    if errors is None:
        return
    if not errors:
        log.info("content reloaded after a file change")
        return
    log.warning("content change refused: %d error(s); previous version stays live", len(errors))
    if rt.settings.staff_chat_id is not None:
        await rt.db.enqueue(
            chat_id=rt.settings.staff_chat_id,
            text=reload_refused_notice(errors),
            purpose="notice",
            now=rt.clock.now(),
        )


async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    rt: Runtime = app.bot_data["runtime"]
    await rt.stop()


def build_application(
    settings: Settings, *, clock: Clock | None = None, content: Content | None = None
) -> Application:  # type: ignore[type-arg]
    """Build the bot. Raises ContentError if a content file is broken (refuse to start)."""
    settings.require_telegram()
    assert settings.telegram_bot_token is not None and settings.staff_chat_id is not None
    runtime = Runtime(
        settings=settings,
        content=content if content is not None else Content(settings),
        clock=clock if clock is not None else SystemClock(),
    )
    heartbeat = Heartbeat(lambda: runtime.db, runtime.clock)
    # Our own bot object, so that get_updates stores each batch before it is confirmed
    # (inbox.py); the rest is what ApplicationBuilder would build.
    bot = InboxBot(
        settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url or "https://api.telegram.org/bot",
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone),
        rate_limiter=PriorityRateLimiter(max_retries=RATE_LIMIT_RETRIES),
        request=build_request(settings, 256, heartbeat.telegram_ok),
        get_updates_request=build_request(settings, 1, heartbeat.telegram_ok),
    )
    app = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["runtime"] = runtime

    staff_chat = filters.Chat(chat_id=settings.staff_chat_id)
    private = filters.ChatType.PRIVATE

    # Groups other than the staff group: leave (checked first, in a group of its own, so
    # that nothing said there reaches any other handler).
    stranger = filters.ChatType.GROUPS & ~staff_chat
    app.add_handler(MessageHandler(stranger, patient.stranger_group), group=-1)
    counted = filters.COMMAND | (~filters.TEXT & ~filters.CAPTION)
    app.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & counted, patient.flood_gate),
        group=-1,
    )
    app.add_handler(
        ChatMemberHandler(patient.stranger_group, ChatMemberHandler.MY_CHAT_MEMBER), group=-1
    )

    # Staff group: buttons are checked against the chat they were pressed in (callbacks.py).
    app.add_handler(CallbackQueryHandler(staff.staff_callback, pattern=r"^(ack|close|rs|rc):"))
    app.add_handler(CommandHandler("alertes", staff.alerts_command, filters=staff_chat | private))
    app.add_handler(CommandHandler(["aide", "help"], staff.staff_help, filters=staff_chat))
    app.add_handler(CommandHandler("clore", staff.close_command, filters=staff_chat | private))
    app.add_handler(CommandHandler("recharger", staff.reload_command, filters=staff_chat | private))
    for name, callback in (
        ("inscrire", staff.enroll_command),
        ("patients", staff.patients_command),
        ("deplacer", staff.move_command),
        ("annuler", staff.cancel_command),
        ("suivi", staff.followup_command),
    ):
        app.add_handler(CommandHandler(name, callback, filters=staff_chat | private))
    app.add_handler(
        MessageHandler(
            staff_chat & filters.REPLY & filters.TEXT & ~filters.COMMAND, staff.staff_reply
        )
    )

    # Patient, private chat. Edits first: an edited "/start" must not be answered twice.
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, patient.edited_message)
    )
    app.add_handler(CommandHandler("start", patient.start, filters=private))
    app.add_handler(CommandHandler(["aide", "help"], patient.help_command, filters=private))
    app.add_handler(CommandHandler("questions", patient.questions, filters=private))
    app.add_handler(CommandHandler("urgence", patient.urgence, filters=private))
    app.add_handler(CommandHandler("rdv", patient.appointment, filters=private))
    app.add_handler(CommandHandler("stop", patient.stop, filters=private))
    app.add_handler(CommandHandler("supprimer", patient.erase, filters=private))
    app.add_handler(MessageHandler(private & filters.COMMAND, patient.unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, patient.text_message))
    app.add_handler(
        MessageHandler(private & ~filters.TEXT & filters.UpdateType.MESSAGE, patient.media_message)
    )
    app.add_handler(CallbackQueryHandler(patient.callback))

    app.add_error_handler(error_handler)
    return app


def run(settings: Settings) -> None:
    """Long polling until SIGINT/SIGTERM; ptb then runs post_shutdown (closes the DB)."""
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
