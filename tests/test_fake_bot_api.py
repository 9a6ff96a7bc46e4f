"""Tests of the loopback fake Telegram Bot API, with raw HTTP and with a real ptb Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.bot_api import FakeBotAPI, TelegramAPIError, parse_html

TOKEN = "123456:TEST-TOKEN"
PATIENT = 42
GROUP = -1001234
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"\x00" * 64


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(token=TOKEN) as fake:
        fake.add_user(PATIENT, "Alice", "alice")
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        yield bot


def post(api: FakeBotAPI, method: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{api.base_url}{api.token}/{method}", timeout=5, **kwargs)


def error(text: str) -> str:
    """pytest.raises pattern for a ptb error: ptb drops "Bad Request: " and capitalises."""
    return "(?i)" + re.escape(text)


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


# ------------------------------------------------------------------------------ raw HTTP


def test_error_shapes_for_token_and_method(api: FakeBotAPI) -> None:
    bad_token = httpx.post(f"{api.base_url}999:NOPE/getMe")
    assert bad_token.status_code == 401
    assert bad_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    unknown = post(api, "sendTelepathy")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    me = post(api, "GETME")  # method names are case-insensitive, as on Telegram
    assert me.json()["result"]["username"] == "releveurs_test_bot"
    assert [c["method"] for c in api.calls()] == ["sendTelepathy", "getMe"]
    assert api.calls("getme")[0]["status"] == 200


def test_urlencoded_json_and_multipart_bodies(api: FakeBotAPI) -> None:
    markup = {"inline_keyboard": [[{"text": "Oui", "callback_data": "yes"}]]}
    form = post(
        api,
        "sendMessage",
        data={"chat_id": str(PATIENT), "text": "123", "reply_markup": json.dumps(markup)},
    )
    assert form.status_code == 200, form.text
    # A numeric-looking text stays a string; JSON fields are decoded.
    assert form.json()["result"]["text"] == "123"
    assert api.calls("sendMessage")[0]["params"] == {
        "chat_id": PATIENT,
        "text": "123",
        "reply_markup": markup,
    }

    as_json = post(api, "sendMessage", json={"chat_id": PATIENT, "text": "json", "parse_mode": ""})
    assert as_json.json()["result"]["text"] == "json"

    upload = post(
        api,
        "sendDocument",
        data={"chat_id": str(PATIENT), "caption": "<i>Ordonnance</i>", "parse_mode": "HTML"},
        files={"document": ("ordonnance.pdf", b"%PDF-1.4 fake", "application/pdf")},
    )
    assert upload.status_code == 200, upload.text
    document = upload.json()["result"]["document"]
    assert document["file_name"] == "ordonnance.pdf"
    assert document["mime_type"] == "application/pdf"
    assert document["file_size"] == len(b"%PDF-1.4 fake")

    last = api.last_message(PATIENT)
    assert last is not None
    assert (last["kind"], last["caption"], last["raw_text"]) == (
        "document",
        "Ordonnance",
        "<i>Ordonnance</i>",
    )
    assert [m["text"] for m in api.messages(PATIENT)] == ["123", "json", "Ordonnance"]
    assert [m["message_id"] for m in api.messages(PATIENT)] == [1, 2, 3]


def test_legacy_reply_to_message_id(api: FakeBotAPI) -> None:
    question = api.send_text(PATIENT, "J'ai mal")
    answer = post(
        api,
        "sendMessage",
        data={"chat_id": PATIENT, "text": "Désolé", "reply_to_message_id": question["message_id"]},
    ).json()["result"]
    assert answer["reply_to_message"]["text"] == "J'ai mal"
    missing = post(
        api, "sendMessage", data={"chat_id": PATIENT, "text": "x", "reply_to_message_id": 99}
    )
    assert missing.json()["description"] == "Bad Request: message to be replied not found"


def test_unknown_chat_and_chat_action(api: FakeBotAPI) -> None:
    unknown = post(api, "sendMessage", data={"chat_id": 777, "text": "hello"})
    assert (unknown.status_code, unknown.json()["description"]) == (
        400,
        "Bad Request: chat not found",
    )
    assert post(api, "sendChatAction", data={"chat_id": PATIENT, "action": "typing"}).json()[
        "result"
    ]
    wrong = post(api, "sendChatAction", data={"chat_id": PATIENT, "action": "dancing"})
    assert wrong.status_code == 400
    assert api.chat_actions(PATIENT) == [{"chat_id": PATIENT, "action": "typing"}]


# ----------------------------------------------------------------------------- HTML


def test_parse_html_entities_and_escapes() -> None:
    text, entities = parse_html(
        '<b>Gras</b> &lt;1&gt; &amp; &quot;q&quot; &#233;t&#xE9; <a href="https://x.fr/?a=1&amp;b=2">'
        'lien</a> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">t</span> '
        '<pre><code class="language-python">x = 1</code></pre> &nbsp;'
    )
    assert text == 'Gras <1> & "q" été lien s t x = 1 &nbsp;'
    types = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert ("bold", 0, 4) in types
    assert ("spoiler", text.index("s t"), 1) in types
    link = next(e for e in entities if e["type"] == "text_link")
    assert link["url"] == "https://x.fr/?a=1&b=2"
    pre = next(e for e in entities if e["type"] == "pre")
    assert pre["language"] == "python"
    assert not any(e["type"] == "code" for e in entities)


def test_parse_html_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>ok</b>")
    assert text == "😀 ok"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("a < b", "Unclosed start tag"),
        ("x</b>", "Unexpected end tag"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
    ],
)
def test_parse_html_rejects_malformed(html: str, fragment: str) -> None:
    with pytest.raises(TelegramAPIError) as caught:
        parse_html(html)
    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert fragment in caught.value.description


async def test_html_send_and_limits(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(PATIENT, "<b>Rappel</b> : injection", parse_mode=ParseMode.HTML)
    assert sent.text == "Rappel : injection"
    assert sent.entities[0].type == "bold"
    stored = api.messages(PATIENT)[0]
    assert (stored["text"], stored["raw_text"], stored["parse_mode"]) == (
        "Rappel : injection",
        "<b>Rappel</b> : injection",
        "HTML",
    )

    # The limit applies to the parsed text: escapes count as one character.
    fits = await bot.send_message(PATIENT, "&amp;" * 4096, parse_mode=ParseMode.HTML)
    assert fits.text == "&" * 4096
    with pytest.raises(BadRequest, match=error("message is too long")):
        await bot.send_message(PATIENT, "&amp;" * 4097, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=error("can't parse entities")):
        await bot.send_message(PATIENT, "<b>oops", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=error("message text is empty")):
        await bot.send_message(PATIENT, "")
    with pytest.raises(BadRequest, match=error("message text is empty")):
        await bot.send_message(PATIENT, "<b> </b>", parse_mode=ParseMode.HTML)
    # Like Telegram, surrounding whitespace is trimmed and plain text keeps "<".
    plain = await bot.send_message(PATIENT, "  a < b  ")
    assert plain.text == "a < b"
    assert len(api.messages(PATIENT)) == 3


# --------------------------------------------------------------------------------- ptb


async def test_keyboard_callback_edit_and_answer(api: FakeBotAPI, bot: Bot) -> None:
    question = api.send_command(PATIENT, "start")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"

    sent = await bot.send_message(
        PATIENT,
        "Avez-vous mal ?",
        reply_markup=keyboard(("Oui", "pain:yes"), ("Non", "pain:no")),
        reply_parameters=ReplyParameters(question["message_id"]),
    )
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == question["message_id"]
    assert sent.reply_markup is not None
    stored = api.last_message(PATIENT)
    assert stored is not None
    assert stored["reply_to_message_id"] == question["message_id"]
    assert api.buttons(stored) == [("Oui", "pain:yes"), ("Non", "pain:no")]

    pressed = api.press_button(PATIENT, stored, "pain:yes")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert len(updates) == 1
    query = updates[0].callback_query
    assert query is not None
    assert (query.id, query.data, query.from_user.id) == (pressed["id"], "pain:yes", PATIENT)
    assert query.message is not None
    assert query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query.id, text="Noté", show_alert=True)
    assert api.callback_answers() == [
        {
            "callback_query_id": query.id,
            "text": "Noté",
            "show_alert": True,
            "url": None,
            "cache_time": None,
        }
    ]
    with pytest.raises(BadRequest, match=error("query is too old")):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_text("Merci, c'est noté.", PATIENT, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    view = api.messages(PATIENT)[0]
    assert (view["text"], view["edits"], view["reply_markup"]) == ("Merci, c'est noté.", 1, None)
    with pytest.raises(BadRequest, match=error("message is not modified")):
        await bot.edit_message_text("Merci, c'est noté.", PATIENT, sent.message_id)
    with pytest.raises(BadRequest, match=error("message to edit not found")):
        await bot.edit_message_text("x", PATIENT, 999)
    with pytest.raises(BadRequest, match=error("message can't be edited")):
        await bot.edit_message_text("x", PATIENT, question["message_id"])

    await bot.edit_message_reply_markup(PATIENT, sent.message_id, reply_markup=keyboard(("A", "a")))
    assert api.buttons(api.messages(PATIENT)[0]) == [("A", "a")]
    with pytest.raises(BadRequest, match=error("message is not modified")):
        await bot.edit_message_reply_markup(
            PATIENT, sent.message_id, reply_markup=keyboard(("A", "a"))
        )

    assert await bot.delete_message(PATIENT, sent.message_id)
    assert api.messages(PATIENT) == []
    with pytest.raises(BadRequest, match=error("message to delete not found")):
        await bot.delete_message(PATIENT, sent.message_id)


async def test_callback_data_limit(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(PATIENT, "ok", reply_markup=keyboard(("x", "é" * 32)))
    with pytest.raises(BadRequest, match=error("BUTTON_DATA_INVALID")):
        await bot.send_message(PATIENT, "trop", reply_markup=keyboard(("x", "é" * 32 + "a")))
    assert len(api.messages(PATIENT)) == 1


async def test_photos_and_documents(api: FakeBotAPI, bot: Bot) -> None:
    photo = await bot.send_photo(PATIENT, PNG, caption="<b>Schéma</b>", parse_mode="HTML")
    assert photo.caption == "Schéma"
    assert photo.photo[-1].width == 640
    assert photo.photo[-1].height == 480
    assert photo.photo[-1].file_size == len(PNG)
    again = await bot.send_photo(PATIENT, photo.photo[-1].file_id)
    assert again.photo[-1].file_size == len(PNG)
    with pytest.raises(BadRequest, match=error("wrong file identifier")):
        await bot.send_photo(PATIENT, "not-a-known-file-id")

    document = await bot.send_document(PATIENT, b"hello", filename="notice.txt")
    assert document.document is not None
    assert document.document.file_name == "notice.txt"

    kinds = [(m["kind"], m["file_size"], m["caption"]) for m in api.messages(PATIENT)]
    assert kinds == [
        ("photo", len(PNG), "Schéma"),
        ("photo", len(PNG), None),
        ("document", 5, None),
    ]


async def test_user_media_kinds_dejson(api: FakeBotAPI, bot: Bot) -> None:
    kinds = ["photo", "sticker", "voice", "document", "video", "audio", "video_note"]
    kinds += ["location", "contact", "animation", "poll"]
    for kind in kinds:
        api.send_media(PATIENT, kind, caption="légende" if kind == "photo" else None)
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == len(kinds)
    for kind, update in zip(kinds, updates, strict=True):
        assert update.message is not None
        assert getattr(update.message, kind), kind
    assert updates[0].message is not None
    assert updates[0].message.caption == "légende"
    with pytest.raises(ValueError, match="no caption"):
        api.send_media(PATIENT, "sticker", caption="x")


async def test_edited_message_and_consumption(api: FakeBotAPI, bot: Bot) -> None:
    original = api.send_text(PATIENT, "J'ai mal au pied")
    api.edit_text(original, "J'ai mal au pied droit")
    assert api.pending_updates() == 2
    first = await bot.get_updates(timeout=0)
    assert first[1].edited_message is not None
    assert first[1].edited_message.text == "J'ai mal au pied droit"
    # Fetching alone confirms nothing; the next offset does.
    assert api.pending_updates() == 2
    await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    await api.wait_until_consumed(timeout=1)


async def test_get_updates_offset_limit_and_negative_offset(api: FakeBotAPI, bot: Bot) -> None:
    ids = [api.send_text(PATIENT, f"m{i}")["message_id"] for i in range(5)]
    assert ids == [1, 2, 3, 4, 5]
    batch = await bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in batch] == [1, 2]
    batch = await bot.get_updates(offset=3, limit=10, timeout=0)
    assert [u.update_id for u in batch] == [3, 4, 5]
    assert api.pending_updates() == 3
    batch = await bot.get_updates(offset=-1, timeout=0)
    assert [u.update_id for u in batch] == [5]
    assert api.pending_updates() == 1
    raw = api.add_raw_update({"update_id": 999, "my_chat_member": {"ignored": True}})
    assert raw == 6  # update_id is assigned by the fake, never taken from the payload


async def test_long_poll_wakes_on_update_and_times_out(api: FakeBotAPI, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.2)) == ()
    assert 0.15 < time.monotonic() - started < 1.5

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    api.send_text(PATIENT, "coucou")
    updates = await poll
    assert time.monotonic() - started < 1
    assert updates[0].message is not None
    assert updates[0].message.text == "coucou"


async def test_second_poll_terminates_first_with_conflict(api: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for(lambda: len(api.calls("getUpdates")) == 1, what="first poll")
    # ptb serialises its own getUpdates calls, so the competing instance polls over raw HTTP.
    async with httpx.AsyncClient(timeout=5) as client:
        url = f"{api.base_url}{api.token}/getUpdates"
        second = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        with pytest.raises(Conflict, match=error("terminated by other getUpdates request")):
            await first
        api.send_text(PATIENT, "hello")
        response = await second
    assert [u["message"]["text"] for u in response.json()["result"]] == ["hello"]
    assert [c["status"] for c in api.calls("getUpdates")] == [409, 200]


def test_stop_wakes_long_polls_quickly() -> None:
    fake = FakeBotAPI(token=TOKEN)
    fake.start()
    results: list[int] = []

    def long_poll() -> None:
        try:
            response = httpx.post(
                f"{fake.base_url}{TOKEN}/getUpdates", data={"timeout": "30"}, timeout=10
            )
            results.append(response.status_code)
        except httpx.HTTPError:
            results.append(-1)

    thread = threading.Thread(target=long_poll)
    thread.start()
    fake.wait_for_sync(lambda: len(fake.calls("getUpdates")) == 1, timeout=2)
    started = time.monotonic()
    fake.stop()
    thread.join(timeout=3)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2
    assert results == [200]
    fake.stop()  # idempotent


# ------------------------------------------------------------------------------ faults


async def test_fault_429_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    api.add_fault("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter, match=error("Retry in 3")):
        await bot.send_message(PATIENT, "flood")
    assert api.messages(PATIENT) == []
    await bot.send_message(PATIENT, "ok")  # the fault was consumed
    statuses = [(c["status"], c["error"]) for c in api.calls("sendMessage")]
    assert statuses == [(429, "Too Many Requests: retry after 3"), (200, None)]


async def test_fault_500_times_and_chat_filter(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(43, "Bob")
    api.add_fault("sendMessage", 502, times=2, chat_id=PATIENT)
    await bot.send_message(43, "other chat is unaffected")
    for _ in range(2):
        with pytest.raises(NetworkError, match=error("Bad Gateway")):
            await bot.send_message(PATIENT, "x")
    await bot.send_message(PATIENT, "recovered")
    assert [m["text"] for m in api.messages(PATIENT)] == ["recovered"]

    api.add_fault("getMe", 500, description="Internal Server Error: restarting")
    api.clear_faults()
    assert (await bot.get_me()).id == api.bot_id


async def test_fault_blocked_user_and_left_group(api: FakeBotAPI, bot: Bot) -> None:
    api.block_bot(PATIENT)
    with pytest.raises(Forbidden, match=error("bot was blocked by the user")):
        await bot.send_message(PATIENT, "rappel")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(PATIENT, ChatAction.TYPING)
    api.unblock_bot(PATIENT)
    await bot.send_message(PATIENT, "rappel")

    api.add_group(GROUP, "Équipe soignante")
    await bot.send_message(GROUP, "bonjour l'équipe")
    assert await bot.leave_chat(GROUP)
    assert api.left_chats() == [GROUP]
    with pytest.raises(Forbidden, match=error("not a member")):
        await bot.send_message(GROUP, "encore là ?")
    with pytest.raises(BadRequest, match=error("private chats")):
        await bot.leave_chat(PATIENT)


async def test_fault_delay_times_out_with_and_without_delivery(api: FakeBotAPI, bot: Bot) -> None:
    api.add_fault("sendMessage", 504, delay=0.3, deliver=True)
    with pytest.raises(TimedOut):
        await bot.send_message(PATIENT, "reached Telegram", read_timeout=0.1)
    assert [m["text"] for m in api.messages(PATIENT)] == ["reached Telegram"]

    api.add_fault("sendMessage", 504, delay=0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(PATIENT, "lost", read_timeout=0.1)
    await api.wait_for(lambda: api.calls("sendMessage")[-1]["status"] == 504, what="504 answer")
    assert len(api.messages(PATIENT)) == 1

    api.add_fault("sendMessage", 200, delay=0.1)
    slow = await bot.send_message(PATIENT, "slow but fine")
    assert slow.text == "slow but fine"

    api.add_fault("getMe", 0)  # connection dropped without an answer
    with pytest.raises(NetworkError):
        await bot.get_me()


async def test_invalid_token_with_ptb(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass


# ------------------------------------------------------------------- commands, members


async def test_commands_per_scope_and_language(api: FakeBotAPI, bot: Bot) -> None:
    commands = [BotCommand("start", "Commencer"), BotCommand("aide", "Obtenir de l'aide")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(
        [BotCommand("stats", "Statistiques")], scope=BotCommandScopeChat(GROUP)
    )
    assert await bot.set_my_commands([BotCommand("help", "Help")], language_code="en")
    assert api.commands() == [
        {"command": "start", "description": "Commencer"},
        {"command": "aide", "description": "Obtenir de l'aide"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "aide"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(GROUP))
    assert [c.command for c in scoped] == ["stats"]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["help"]
    with pytest.raises(BadRequest, match=error("BOT_COMMAND_INVALID")):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])


async def test_chat_members_and_chats(api: FakeBotAPI, bot: Bot) -> None:
    api.add_group(GROUP, "Équipe soignante")
    expected: dict[str, type[object]] = {
        "creator": ChatMemberOwner,
        "administrator": ChatMemberAdministrator,
        "member": ChatMemberMember,
        "restricted": ChatMemberRestricted,
        "left": ChatMemberLeft,
        "kicked": ChatMemberBanned,
    }
    for offset, (status, cls) in enumerate(expected.items()):
        user_id = 100 + offset
        api.set_member(GROUP, user_id, status)
        member = await bot.get_chat_member(GROUP, user_id)
        assert isinstance(member, cls), status
        assert member.status == status
    assert isinstance(await bot.get_chat_member(GROUP, 5555), ChatMemberLeft)
    assert isinstance(await bot.get_chat_member(GROUP, api.bot_id), ChatMemberAdministrator)
    with pytest.raises(BadRequest, match=error("chat not found")):
        await bot.get_chat_member(-42, PATIENT)

    group = await bot.get_chat(GROUP)
    assert (group.type, group.title) == ("supergroup", "Équipe soignante")
    private = await bot.get_chat(PATIENT)
    assert (private.type, private.first_name, private.username) == ("private", "Alice", "alice")
    assert await bot.close()
    assert await bot.log_out()


async def test_group_commands_with_bot_mention(api: FakeBotAPI, bot: Bot) -> None:
    message = api.send_command(7, "/stats", "semaine", chat_id=GROUP, at_bot=True)
    assert message["text"] == "/stats@releveurs_test_bot semaine"
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": len("/stats@releveurs_test_bot")}
    ]
    assert message["chat"] == {"id": GROUP, "type": "supergroup", "title": "Équipe"}
    assert isinstance(await bot.get_chat_member(GROUP, 7), ChatMemberMember)
    reply = await bot.send_message(
        GROUP, "Voici", reply_parameters=ReplyParameters(message["message_id"])
    )
    assert reply.reply_to_message is not None
    assert api.messages(GROUP)[0]["reply_to_message_id"] == message["message_id"]


async def test_application_polling_end_to_end(api: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "<b>Bonjour</b>", reply_markup=keyboard(("Oui", "yes")), do_quote=True
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Noté")
        await update.callback_query.edit_message_text("Merci")

    app = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            api.send_command(PATIENT, "start")
            [message] = await api.wait_for_messages(PATIENT, 1)
            assert (message["text"], message["reply_to_message_id"]) == ("Bonjour", 1)
            api.press_button(PATIENT, message, "yes")
            await api.wait_for(lambda: api.messages(PATIENT)[0]["edits"] == 1, what="the edit")
            await api.wait_until_consumed()
        finally:
            started = time.monotonic()
            await app.updater.stop()
            await app.stop()
        assert time.monotonic() - started < 1
    assert api.messages(PATIENT)[0]["text"] == "Merci"
    assert [a["text"] for a in api.callback_answers()] == ["Noté"]
    # The poll ptb cancels on stop is seen as abandoned (499), not as a conflict.
    statuses = {c["status"] for c in api.calls()}
    assert statuses <= {200, 499}


# ------------------------------------------------------------------------------ waiting


async def test_wait_for_messages_and_timeout_dump(api: FakeBotAPI, bot: Bot) -> None:
    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(PATIENT, "un", reply_markup=keyboard(("Oui", "y")))
        await bot.send_message(PATIENT, "deux")

    task = asyncio.create_task(reply_later())
    messages = await api.wait_for_messages(PATIENT, 2, timeout=2)
    await task
    assert [m["text"] for m in messages] == ["un", "deux"]

    api.add_fault("sendMessage", 403, chat_id=PATIENT)
    with pytest.raises(Forbidden):
        await bot.send_message(PATIENT, "trois")
    with pytest.raises(AssertionError) as caught:
        await api.wait_for_messages(PATIENT, 3, timeout=0.05)
    dump = str(caught.value)
    assert "waiting for 3 bot message(s) in chat 42; got 2" in dump
    assert "'un' buttons=[('Oui', 'y')]" in dump
    assert "sendMessage -> 403 Forbidden: bot was blocked by the user" in dump
    with pytest.raises(AssertionError, match="waiting for nothing"):
        await api.wait_for(lambda: False, timeout=0.05, what="nothing")


def test_wait_for_messages_sync(api: FakeBotAPI) -> None:
    def send() -> None:
        time.sleep(0.05)
        post(api, "sendMessage", data={"chat_id": PATIENT, "text": "depuis un thread"})

    thread = threading.Thread(target=send)
    thread.start()
    messages = api.wait_for_messages_sync(PATIENT, 1, timeout=2)
    thread.join()
    assert messages[0]["text"] == "depuis un thread"
    with pytest.raises(AssertionError, match="got 1"):
        api.wait_for_messages_sync(PATIENT, 2, timeout=0.05)
