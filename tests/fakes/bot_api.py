"""A loopback fake of the Telegram Bot API for tests.

`FakeBotAPI` is a real HTTP server on 127.0.0.1 that python-telegram-bot talks to unmodified,
only pointed at it through ``base_url``. It is built on the standard library alone and runs in
a daemon thread, so it does not depend on the test's event loop and can also serve a bot that
runs in a subprocess.

Tests inject what users do (``send_text``, ``press_button``, ...) as updates that the bot
fetches with ``getUpdates``, and read back what the bot did (``messages``, ``calls``, ...).
Errors follow Telegram's wording so that code matching on descriptions behaves as in
production; ``add_fault`` queues failures (429, 5xx, slow answers, dropped connections).

    with FakeBotAPI() as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
        ...  # start polling
        fake.send_command(42, "start")
        [reply] = await fake.wait_for_messages(42, 1)
        fake.press_button(42, reply, fake.buttons(reply)[0][1])
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.message
import email.parser
import email.policy
import itertools
import json
import re
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeBotAPI", "Fault", "TelegramAPIError", "parse_html"]

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPDATES_LIMIT = 100
_CLIENT_CHECK_INTERVAL = 0.05

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MEDIA_KINDS = frozenset(
    {
        "photo",
        "sticker",
        "voice",
        "document",
        "video",
        "audio",
        "video_note",
        "location",
        "contact",
        "animation",
        "poll",
    }
)
_CAPTIONABLE_KINDS = frozenset({"photo", "voice", "document", "video", "audio", "animation"})

# Form fields that are strings in the Bot API. ptb posts non-string values JSON-encoded and
# strings verbatim, so a text such as "12" or "true" must not be decoded into a number or bool.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "photo",
        "document",
        "sticker",
        "voice",
        "video",
        "audio",
        "animation",
        "video_note",
        "thumbnail",
        "action",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "secret_token",
        "ip_address",
        "question",
        "first_name",
        "last_name",
        "phone_number",
        "address",
    }
)
_JSON_SCALAR_RE = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")


class TelegramAPIError(Exception):
    """An error answer of the fake API, raised inside method handlers."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(detail: str) -> TelegramAPIError:
    return TelegramAPIError(400, f"Bad Request: {detail}")


def _forbidden(detail: str) -> TelegramAPIError:
    return TelegramAPIError(403, f"Forbidden: {detail}")


def _cant_parse(detail: str) -> TelegramAPIError:
    return _bad_request(f"can't parse entities: {detail}")


@dataclass
class Fault:
    """A queued failure for the next ``times`` calls of ``method``.

    ``status`` 0 drops the connection without answering (the client sees a network error).
    """

    method: str
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1
    description: str | None = None
    chat_id: int | None = None
    deliver: bool = False

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error_body(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description or _default_description(self.status, self),
        }
        if self.status == 429 or self.retry_after is not None:
            body["parameters"] = {"retry_after": self._retry_after()}
        return body

    def _retry_after(self) -> int:
        # Telegram always tells how long to wait on 429; without it ptb would not raise RetryAfter.
        return self.retry_after if self.retry_after is not None else 1


def _default_description(status: int, fault: Fault) -> str:
    known = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        429: f"Too Many Requests: retry after {fault._retry_after()}",
    }
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


# --------------------------------------------------------------------------------------------
# HTML entity parsing, following Telegram's rules for parse_mode=HTML.

_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAR_REF_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|[a-zA-Z]{1,10});")
_TAG_NAME_RE = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_MENTION_RE = re.compile(r"tg://user\?id=(\d+)")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_char_ref(ref: str) -> str | None:
    if ref.startswith(("#x", "#X")):
        code = int(ref[2:], 16)
    elif ref.startswith("#"):
        code = int(ref[1:])
    else:
        return _NAMED_ENTITIES.get(ref)
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return None


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode_char_ref(match.group(1))
        return match.group(0) if decoded is None else decoded

    return _CHAR_REF_RE.sub(replace, text)


@dataclass
class _OpenTag:
    name: str
    entity: JSONDict | None
    start: int


def _open_tag(name: str, attrs: dict[str, str], stack: list[_OpenTag], at: int) -> JSONDict | None:
    """The entity a start tag opens, or None for tags that only wrap text."""
    entity_type = _TAG_TYPES[name]
    entity: JSONDict = {"type": entity_type}
    if name == "a":
        href = attrs.get("href")
        if not href:
            return None
        mention = _MENTION_RE.fullmatch(href)
        if mention:
            return {"type": "text_mention", "user": {"id": int(mention.group(1))}}
        entity["url"] = href
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    elif name == "tg-emoji":
        if "emoji-id" not in attrs:
            raise _cant_parse(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "code" and stack and stack[-1].name == "pre" and stack[-1].entity is not None:
        # <pre><code class="language-x"> is one pre entity carrying the language.
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].entity["language"] = language.removeprefix("language-")
            return None
    return entity


def _parse_attrs(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        attrs[match.group(1).lower()] = _unescape(value)
    return attrs


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Plain text and entities (UTF-16 offsets) of an HTML-formatted message, like Telegram.

    Raises `TelegramAPIError` with Telegram's "can't parse entities" descriptions.
    """
    out: list[str] = []
    pos = 0  # in UTF-16 code units, as Telegram counts entity offsets
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i = 0

    def byte_offset(index: int) -> int:
        return len(text[:index].encode())

    while i < len(text):
        char = text[i]
        if char == "<":
            end = text.find(">", i)
            if end == -1:
                raise _cant_parse(f"Unclosed start tag at byte offset {byte_offset(i)}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _cant_parse(f"Unexpected end tag at byte offset {byte_offset(i)}")
                top = stack.pop()
                if top.name != name:
                    raise _cant_parse(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, "
                        f'expected "</{top.name}>", found "</{name}>"'
                    )
                if top.entity is not None and pos > top.start:
                    entities.append({**top.entity, "offset": top.start, "length": pos - top.start})
            else:
                match = _TAG_NAME_RE.match(inner)
                name = match.group(1).lower() if match else ""
                if name not in _TAG_TYPES:
                    raise _cant_parse(
                        f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}'
                    )
                attrs = _parse_attrs(inner[match.end() :] if match else "")
                entity = _open_tag(name, attrs, stack, byte_offset(i))
                stack.append(_OpenTag(name, entity, pos))
            i = end + 1
        elif char == "&":
            ref = _CHAR_REF_RE.match(text, i)
            decoded = _decode_char_ref(ref.group(1)) if ref else None
            if ref is not None and decoded is not None:
                piece, i = decoded, ref.end()
            else:
                piece, i = "&", i + 1
            out.append(piece)
            pos += _utf16_len(piece)
        else:
            stop = len(text)
            for special in ("<", "&"):
                found = text.find(special, i)
                if found != -1:
                    stop = min(stop, found)
            piece = text[i:stop]
            out.append(piece)
            pos += _utf16_len(piece)
            i = stop
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace off messages; entities are shifted to match."""
    left = text.lstrip()
    lead = _utf16_len(text) - _utf16_len(left)
    result = left.rstrip()
    total = _utf16_len(result)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return result, kept


def _format(raw: str, parse_mode: Any, explicit: Any) -> tuple[str, list[JSONDict]]:
    mode = parse_mode.lower() if isinstance(parse_mode, str) and parse_mode else None
    if mode is None:
        entities = explicit if isinstance(explicit, list) else []
        return _strip(raw, [e for e in entities if isinstance(e, dict)])
    if mode == "html":
        return _strip(*parse_html(raw))
    if mode in ("markdown", "markdownv2"):
        # Markdown is stored verbatim: the project formats with HTML and the fake does not
        # reimplement Telegram's Markdown grammar.
        return _strip(raw, [])
    raise _bad_request(f"unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------------------------
# Request decoding.


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _Request:
    method: str
    params: JSONDict
    files: dict[str, _Upload]
    client_gone: Callable[[], bool] = lambda: False


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    if value[:1] in ("{", "[", '"') or _JSON_SCALAR_RE.fullmatch(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_multipart(body: bytes, boundary: bytes) -> tuple[JSONDict, dict[str, _Upload]]:
    params: JSONDict = {}
    files: dict[str, _Upload] = {}
    # Splitting on the delimiter is safe: multipart boundaries are random precisely so that
    # they never occur inside the parts.
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(
            head + b"\r\n\r\n"
        )
        # With the HTTP policy the header is parsed, parameters included.
        disposition = getattr(headers.get("Content-Disposition"), "params", {})
        name = disposition.get("name")
        if not isinstance(name, str):
            continue
        filename = disposition.get("filename")
        if filename is not None:
            files[name] = _Upload(filename, headers.get_content_type(), data)
        else:
            params[name] = _decode_field(name, data.decode("utf-8", "replace"))
    return params, files


def _parse_body(content_type: str, body: bytes, query: str) -> tuple[JSONDict, dict[str, _Upload]]:
    params: JSONDict = {k: _decode_field(k, v) for k, v in parse_qsl(query, True)}
    files: dict[str, _Upload] = {}
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params, files
    if mime == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif mime == "multipart/form-data":
        holder = email.message.Message()
        holder["Content-Type"] = content_type
        boundary = holder.get_param("boundary")
        if not isinstance(boundary, str):
            raise ValueError("multipart body without boundary")
        form, files = _parse_multipart(body, boundary.encode())
        params.update(form)
    else:
        text = body.decode("utf-8", "replace")
        params.update({k: _decode_field(k, v) for k, v in parse_qsl(text, True)})
    return params, files


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, so uploaded test images get plausible PhotoSizes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        if width and height:
            return int(width), int(height)
    return 1280, 960


# --------------------------------------------------------------------------------------------
# Stored messages.


@dataclass
class _StoredMessage:
    chat_id: int
    message_id: int
    from_bot: bool
    message: JSONDict
    kind: str
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    reply_to_message_id: int | None = None
    edits: int = 0
    deleted: bool = False
    file_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None

    def plain_text(self) -> str:
        if self.kind == "text":
            return str(self.message.get("text", ""))
        return str(self.message.get("caption", ""))

    def view(self) -> JSONDict:
        caption = self.message.get("caption") if self.kind != "text" else None
        entity_key = "entities" if self.kind == "text" else "caption_entities"
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "text": self.plain_text(),
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": copy.deepcopy(self.message.get(entity_key, [])),
            "caption": caption,
            "reply_markup": copy.deepcopy(self.reply_markup),
            "reply_to_message_id": self.reply_to_message_id,
            "edits": self.edits,
            "date": self.message["date"],
            "file_id": self.file_id,
            "file_size": self.file_size,
            "file_name": self.file_name,
            "message": copy.deepcopy(self.message),
        }


def _inline_buttons(markup: Any) -> list[JSONDict]:
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows if isinstance(row, list) for button in row]


def _validate_markup(markup: Any) -> JSONDict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for button in _inline_buttons(markup):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request("can't parse inline keyboard button: Text must be a String")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        elif "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                raise _bad_request("BUTTON_URL_INVALID")
    return markup


def _message_inline_markup(markup: JSONDict | None) -> JSONDict | None:
    """What Telegram echoes back in Message.reply_markup: only non-empty inline keyboards."""
    if markup is None or not _inline_buttons(markup):
        return None
    return markup


def _put(target: JSONDict, key: str, value: Any) -> None:
    if value in (None, [], ""):
        target.pop(key, None)
    else:
        target[key] = value


# --------------------------------------------------------------------------------------------
# HTTP plumbing.


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Condition()
        self.requests_in_flight = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name with getfqdn(), a reverse DNS lookup
        # that can stall for seconds on machines without network.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out close their socket before we answer; that is expected here.
        pass

    def request_started(self) -> None:
        with self.connections_lock:
            self.requests_in_flight += 1

    def request_finished(self) -> None:
        with self.connections_lock:
            self.requests_in_flight -= 1
            self.connections_lock.notify_all()

    def close_connections(self, grace: float) -> None:
        # Requests being answered (long polls just woken, delays cut short) get to send their
        # answer; keep-alive handler threads that block reading the next request are then
        # released by shutting their sockets down, so nothing lingers after stop().
        with self.connections_lock:
            self.connections_lock.wait_for(lambda: self.requests_in_flight == 0, grace)
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately; with Nagle's algorithm and delayed ACKs every
    # answer would then take ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def _client_gone(self) -> bool:
        """Whether the client closed the connection while its request is pending."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        server = cast(_Server, self.server)
        server.request_started()
        try:
            self._answer(server.fake)
        finally:
            server.request_finished()

    def _answer(self, fake: FakeBotAPI) -> None:
        body = self._read_body()
        answer = fake._handle_http(
            self.path, self.headers.get("Content-Type", ""), body, self._client_gone
        )
        if answer is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, payload = answer
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


# --------------------------------------------------------------------------------------------
# The fake itself.

Handler = Callable[[_Request], Any]


class FakeBotAPI:
    """Fake Telegram Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "releveurs_test_bot",
        bot_id: int = 123456,
        *,
        bot_first_name: str = "Releveurs Test Bot",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        # Reentrant so that helpers which lock can be called from handlers that already do.
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: set[int] = set()
        self._store: dict[tuple[int, int], _StoredMessage] = {}
        self._bot_messages: list[tuple[int, int]] = []
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._delivered_update_id = 0
        self._poll_generation = 0
        self._calls: list[JSONDict] = []
        self._callback_queries: dict[str, bool] = {}
        self._callback_answers: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._profile: dict[tuple[str, str], str] = {}
        self._left_chats: list[int] = []
        self._chat_actions: list[JSONDict] = []
        self._faults: list[Fault] = []
        self._files: dict[str, JSONDict] = {}
        self._ids = itertools.count(1)

        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._profile_setter("description"),
            "getMyDescription": self._profile_getter("description"),
            "setMyShortDescription": self._profile_setter("short_description"),
            "getMyShortDescription": self._profile_getter("short_description"),
            "setMyName": self._profile_setter("name"),
            "getMyName": self._profile_getter("name"),
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "leaveChat": self._leave_chat,
            "close": self._always_true,
            "logOut": self._always_true,
        }
        # The Bot API treats method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FakeBotAPI already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeBotAPI",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        server.close_connections(grace=2.0)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------- users and chats

    def add_user(
        self,
        user_id: int,
        first_name: str = "Patient",
        username: str | None = None,
        *,
        language_code: str | None = "fr",
    ) -> JSONDict:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        if username is not None:
            user["username"] = chat["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        with self._cond:
            self._users[user_id] = user
            self._chats[user_id] = chat
            return copy.deepcopy(user)

    def add_group(self, chat_id: int, title: str = "Équipe") -> JSONDict:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat: JSONDict = {"id": chat_id, "type": "supergroup", "title": title}
        with self._cond:
            self._chats[chat_id] = chat
            return copy.deepcopy(chat)

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        self._ensure_chat(chat_id)
        if user_id != self.bot_id:
            self._ensure_user(user_id)
        with self._cond:
            self._members[(chat_id, user_id)] = status

    def block_bot(self, user_id: int) -> None:
        with self._cond:
            self._blocked.add(user_id)

    def unblock_bot(self, user_id: int) -> None:
        with self._cond:
            self._blocked.discard(user_id)

    def _ensure_user(self, user_id: int) -> JSONDict:
        with self._cond:
            user = self._users.get(user_id)
        return copy.deepcopy(user) if user is not None else self.add_user(user_id)

    def _ensure_chat(self, chat_id: int) -> JSONDict:
        with self._cond:
            chat = self._chats.get(chat_id)
        if chat is not None:
            return copy.deepcopy(chat)
        if chat_id < 0:
            return self.add_group(chat_id)
        self.add_user(chat_id)
        with self._cond:
            return copy.deepcopy(self._chats[chat_id])

    # ------------------------------------------------------------------ injecting updates

    def add_raw_update(self, update: JSONDict) -> int:
        payload = {k: v for k, v in update.items() if k != "update_id"}
        with self._cond:
            return self._push_update_locked(payload)

    def _resolve_sender(self, user_id: int, chat_id: int | None) -> tuple[JSONDict, JSONDict]:
        user = self._ensure_user(user_id)
        if chat_id is None or chat_id == user_id:
            return user, self._ensure_chat(user_id)
        if chat_id > 0:
            raise ValueError("a user can only write in their own private chat or in a group")
        chat = self._ensure_chat(chat_id)
        with self._cond:
            self._members.setdefault((chat_id, user_id), "member")
        return user, chat

    def _store_user_message(
        self, user: JSONDict, chat: JSONDict, content: JSONDict, reply_to: int | None, kind: str
    ) -> JSONDict:
        with self._cond:
            chat_id = chat["id"]
            # Resolved first so that a bad reply_to does not burn a message id.
            snapshot = self._reply_snapshot(chat_id, reply_to) if reply_to is not None else None
            message: JSONDict = {
                "message_id": self._allocate_message_id(chat_id),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
            if snapshot is not None:
                message["reply_to_message"] = snapshot
            stored = _StoredMessage(
                chat_id=chat_id,
                message_id=message["message_id"],
                from_bot=False,
                message=message,
                kind=kind,
                raw_text=content.get("text", content.get("caption")),
                reply_to_message_id=reply_to,
            )
            self._store[(chat_id, stored.message_id)] = stored
            self._push_update_locked({"message": message})
            return copy.deepcopy(message)

    def _push_update_locked(self, update: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **copy.deepcopy(update)})
        self._cond.notify_all()
        return update_id

    def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> JSONDict:
        user, chat = self._resolve_sender(user_id, chat_id)
        content: JSONDict = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self._store_user_message(user, chat, content, reply_to, "text")

    def send_command(
        self,
        user_id: int,
        command: str,
        args: str = "",
        chat_id: int | None = None,
        reply_to: int | None = None,
        *,
        at_bot: bool = False,
    ) -> JSONDict:
        text = "/" + command.removeprefix("/")
        if at_bot:
            text += f"@{self.bot_username}"
        if args:
            text += f" {args}"
        return self.send_text(user_id, text, chat_id=chat_id, reply_to=reply_to)

    def send_media(
        self, user_id: int, kind: str, chat_id: int | None = None, caption: str | None = None
    ) -> JSONDict:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}; expected one of {sorted(MEDIA_KINDS)}")
        if caption is not None and kind not in _CAPTIONABLE_KINDS:
            raise ValueError(f"{kind} messages have no caption")
        user, chat = self._resolve_sender(user_id, chat_id)
        with self._cond:
            content = self._media_payload(kind, user)
        if caption is not None:
            content["caption"] = caption
        return self._store_user_message(user, chat, content, None, kind)

    def _new_file(self, kind: str, size: int, **extra: Any) -> JSONDict:
        number = next(self._ids)
        file: JSONDict = {
            "file_id": f"FAKE-{kind.upper()}-{number:06d}",
            "file_unique_id": f"U{kind[:3].upper()}{number:06d}",
            "file_size": size,
            **extra,
        }
        with self._cond:
            self._files[file["file_id"]] = {"kind": kind, **file}
        return file

    def _media_payload(self, kind: str, user: JSONDict) -> JSONDict:
        if kind == "photo":
            return {
                "photo": [
                    self._new_file("photo", 1_200, width=90, height=67),
                    self._new_file("photo", 24_000, width=320, height=240),
                    self._new_file("photo", 96_000, width=1280, height=960),
                ]
            }
        if kind == "sticker":
            sticker = self._new_file(
                "sticker",
                18_000,
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji="👍",
            )
            return {"sticker": sticker}
        if kind == "voice":
            return {"voice": self._new_file("voice", 9_000, duration=3, mime_type="audio/ogg")}
        if kind == "document":
            document = self._new_file(
                "document", 52_000, file_name="ordonnance.pdf", mime_type="application/pdf"
            )
            return {"document": document}
        if kind == "video":
            video = self._new_file(
                "video", 800_000, width=640, height=360, duration=5, mime_type="video/mp4"
            )
            return {"video": video}
        if kind == "audio":
            audio = self._new_file(
                "audio", 2_000_000, duration=120, title="Audio", mime_type="audio/mpeg"
            )
            return {"audio": audio}
        if kind == "video_note":
            return {"video_note": self._new_file("video_note", 300_000, length=240, duration=4)}
        if kind == "animation":
            animation = self._new_file(
                "animation", 150_000, width=320, height=240, duration=2, mime_type="video/mp4"
            )
            # Telegram also fills "document" for animations, so document filters match them.
            document = {
                k: animation[k] for k in ("file_id", "file_unique_id", "file_size", "mime_type")
            }
            return {"animation": animation, "document": {**document, "file_name": "anim.mp4"}}
        if kind == "location":
            return {"location": {"latitude": 48.8566, "longitude": 2.3522}}
        if kind == "contact":
            contact = {
                "phone_number": "+33600000000",
                "first_name": user["first_name"],
                "user_id": user["id"],
            }
            return {"contact": contact}
        poll: JSONDict = {
            "id": str(next(self._ids)),
            "question": "Sondage ?",
            "options": [
                {"text": "Oui", "voter_count": 0, "persistent_id": "0"},
                {"text": "Non", "voter_count": 0, "persistent_id": "1"},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return {"poll": poll}

    def edit_text(self, message: JSONDict, new_text: str) -> JSONDict:
        chat_id, message_id = self._message_key(message)
        with self._cond:
            stored = self._store.get((chat_id, message_id))
            if stored is None or stored.deleted or stored.from_bot or stored.kind != "text":
                raise ValueError(f"no user text message {message_id} in chat {chat_id}")
            stored.message["text"] = new_text
            stored.message["edit_date"] = int(time.time())
            stored.raw_text = new_text
            stored.edits += 1
            self._push_update_locked({"edited_message": stored.message})
            return copy.deepcopy(stored.message)

    def press_button(
        self, user_id: int, message: JSONDict | tuple[int, int], data: str
    ) -> JSONDict:
        chat_id, message_id = self._message_key(message)
        user = self._ensure_user(user_id)
        with self._cond:
            stored = self._store.get((chat_id, message_id))
            if stored is None or stored.deleted or not stored.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat_id} to press on")
            query: JSONDict = {
                "id": str(4_000_000_000_000 + next(self._ids)),
                "from": user,
                "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(chat_id) * 7919 + 13),
                "data": data,
            }
            self._callback_queries[query["id"]] = False
            self._push_update_locked({"callback_query": query})
            return copy.deepcopy(query)

    @staticmethod
    def _message_key(message: JSONDict | tuple[int, int]) -> tuple[int, int]:
        if isinstance(message, tuple):
            return message
        if "chat_id" in message:
            return int(message["chat_id"]), int(message["message_id"])
        return int(message["chat"]["id"]), int(message["message_id"])

    # ------------------------------------------------------------------------------ reading

    def messages(self, chat_id: int) -> list[JSONDict]:
        with self._cond:
            return [
                self._store[key].view()
                for key in self._bot_messages
                if key[0] == chat_id and not self._store[key].deleted
            ]

    def all_messages(self) -> list[JSONDict]:
        with self._cond:
            return [
                self._store[key].view()
                for key in self._bot_messages
                if not self._store[key].deleted
            ]

    def last_message(self, chat_id: int) -> JSONDict | None:
        messages = self.messages(chat_id)
        return messages[-1] if messages else None

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Any stored message (bot or user), even deleted ones, with a ``deleted`` flag."""
        with self._cond:
            stored = self._store.get((chat_id, message_id))
            if stored is None:
                return None
            return {**stored.view(), "from_bot": stored.from_bot, "deleted": stored.deleted}

    @staticmethod
    def buttons(message: JSONDict) -> list[tuple[str, str]]:
        """(text, callback_data) per inline button; non-callback buttons give ""."""
        return [
            (str(button.get("text", "")), str(button.get("callback_data", "")))
            for button in _inline_buttons(message.get("reply_markup"))
        ]

    def callback_answers(self) -> list[JSONDict]:
        with self._cond:
            return copy.deepcopy(self._callback_answers)

    def calls(self, method: str | None = None) -> list[JSONDict]:
        with self._cond:
            return [
                copy.deepcopy(call)
                for call in self._calls
                if method is None or call["method"].lower() == method.lower()
            ]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        with self._cond:
            return copy.deepcopy(self._commands.get((_scope_key(scope), language_code), []))

    def bot_profile(self) -> dict[str, str]:
        """Values of setMyName/setMyDescription/setMyShortDescription, keyed "field[:lang]"."""
        with self._cond:
            return {
                f"{name}:{lang}" if lang else name: value
                for (name, lang), value in self._profile.items()
            }

    def left_chats(self) -> list[int]:
        with self._cond:
            return list(self._left_chats)

    def chat_actions(self, chat_id: int | None = None) -> list[JSONDict]:
        with self._cond:
            return [
                dict(action)
                for action in self._chat_actions
                if chat_id is None or action["chat_id"] == chat_id
            ]

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    def dump(self, chat_id: int | None = None) -> str:
        """Human-readable state, for assertion messages."""
        with self._cond:
            chat_ids = [chat_id] if chat_id is not None else sorted({k[0] for k in self._store})
            lines: list[str] = []
            for cid in chat_ids:
                lines.append(f"chat {cid}:")
                keys = sorted(k for k in self._store if k[0] == cid)
                if not keys:
                    lines.append("  (no messages)")
                for key in keys:
                    lines.append("  " + _describe(self._store[key]))
                for call in self._calls:
                    if _failed(call) and call.get("chat_id") == cid:
                        lines.append(
                            f"  ! {call['method']} -> {call['status']} {call.get('error') or ''}"
                        )
            failed = [c for c in self._calls if _failed(c)]
            if chat_id is None and failed:
                lines.append("failed calls:")
                lines.extend(
                    f"  {c['method']} -> {c['status']} {c.get('error') or ''}" for c in failed[-10:]
                )
            lines.append(
                f"pending updates: {len(self._updates)} (fetched up to update_id "
                f"{self._delivered_update_id}); calls received: {len(self._calls)}"
            )
            return "\n".join(lines)

    # ------------------------------------------------------------------------------ waiting

    def _count(self, chat_id: int) -> int:
        with self._cond:
            return self._count_locked(chat_id)

    # The waiting helpers take a timeout instead of leaving it to asyncio.timeout so that the
    # failure is an AssertionError that shows what the chat received.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.dump()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSONDict]:
        deadline = time.monotonic() + timeout
        while self._count(chat_id) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(self._messages_timeout(chat_id, count, timeout))
            await asyncio.sleep(0.01)
        return self.messages(chat_id)

    def wait_for_messages_sync(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[JSONDict]:
        with self._cond:
            reached = self._cond.wait_for(lambda: self._count_locked(chat_id) >= count, timeout)
        if not reached:
            raise AssertionError(self._messages_timeout(chat_id, count, timeout))
        return self.messages(chat_id)

    def wait_for_sync(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.dump()}"
                )
            time.sleep(0.01)

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until the bot confirmed (through getUpdates' offset) every injected update.

        ptb confirms a batch when it asks for the next one, which it does before its handlers
        finish, so this does not mean the updates were handled.
        """
        await self.wait_for(
            lambda: self.pending_updates() == 0, timeout, "the bot to confirm every update"
        )

    def _count_locked(self, chat_id: int) -> int:
        return sum(1 for k in self._bot_messages if k[0] == chat_id and not self._store[k].deleted)

    def _messages_timeout(self, chat_id: int, count: int, timeout: float) -> str:
        return (
            f"timed out after {timeout}s waiting for {count} bot message(s) in chat {chat_id}; "
            f"got {self._count(chat_id)}\n{self.dump(chat_id)}"
        )

    # ------------------------------------------------------------------------------- faults

    def add_fault(
        self,
        method: str,
        status: int = 500,
        *,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
        deliver: bool = False,
    ) -> Fault:
        fault = Fault(method, status, retry_after, delay, times, description, chat_id, deliver)
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._cond:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        with self._cond:
            for fault in self._faults:
                if fault.matches(method, chat_id):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    # ------------------------------------------------------------------------ HTTP handling

    def _handle_http(
        self,
        raw_path: str,
        content_type: str,
        body: bytes,
        client_gone: Callable[[], bool] = lambda: False,
    ) -> tuple[int, JSONDict] | None:
        url = urlsplit(raw_path)
        match = re.fullmatch(r"/bot([^/]+)/([^/]+)", url.path)
        if match is None:
            return 404, _error_body(404, "Not Found")
        if match.group(1) != self.token:
            return 401, _error_body(401, "Unauthorized")
        requested = match.group(2)
        canonical, handler = self._methods.get(requested.lower(), (requested, None))
        try:
            params, files = _parse_body(content_type, body, url.query)
        except (ValueError, UnicodeDecodeError):
            return 400, _error_body(400, "Bad Request: can't parse request")
        call = self._record_call(canonical, params, files)
        status, payload = self._answer(
            canonical, handler, _Request(canonical, params, files, client_gone)
        )
        with self._cond:
            call["status"] = status
            if payload is not None and not payload.get("ok"):
                call["error"] = payload.get("description")
            self._cond.notify_all()
        return None if payload is None else (status, payload)

    def _record_call(self, method: str, params: JSONDict, files: dict[str, _Upload]) -> JSONDict:
        call: JSONDict = {
            "method": method,
            "params": copy.deepcopy(params),
            "files": {
                name: {"filename": f.filename, "content_type": f.content_type, "size": len(f.data)}
                for name, f in files.items()
            },
            "chat_id": _coerce_chat_id(params.get("chat_id")),
            "time": time.time(),
            "monotonic": time.monotonic(),
            "status": None,
            "error": None,
        }
        with self._cond:
            self._calls.append(call)
        return call

    def _answer(
        self, method: str, handler: Handler | None, request: _Request
    ) -> tuple[int, JSONDict | None]:
        fault = self._take_fault(method, _coerce_chat_id(request.params.get("chat_id")))
        if fault is None:
            return self._run(handler, request)
        if fault.status == 200:
            self._stopping.wait(fault.delay)
            return self._run(handler, request)
        if fault.deliver:
            self._run(handler, request)
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.status == 0:
            return 0, None
        return fault.status, fault.error_body()

    def _run(self, handler: Handler | None, request: _Request) -> tuple[int, JSONDict]:
        if handler is None:
            return 404, _error_body(404, "Not Found")
        try:
            result = handler(request)
        except TelegramAPIError as error:
            return error.status, _error_body(error.status, error.description, error.parameters)
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------------------ helpers

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _reply_snapshot(self, chat_id: int, message_id: int) -> JSONDict:
        stored = self._store.get((chat_id, message_id))
        if stored is None or stored.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        snapshot = copy.deepcopy(stored.message)
        # Telegram nests replies one level deep only.
        snapshot.pop("reply_to_message", None)
        return snapshot

    def _chat_for(self, params: JSONDict) -> JSONDict:
        """The chat a request targets (must be called with the lock held)."""
        ref = params.get("chat_id")
        if ref is None or ref == "":
            raise _bad_request("chat_id is empty")
        chat_id = _coerce_chat_id(ref)
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _writable_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params)
        chat_id = chat["id"]
        if chat["type"] == "private":
            if chat_id in self._blocked:
                raise _forbidden("bot was blocked by the user")
        else:
            status = self._members.get((chat_id, self.bot_id), "administrator")
            if status == "kicked":
                raise _forbidden(f"bot was kicked from the {chat['type']} chat")
            if status == "left":
                raise _forbidden(f"bot is not a member of the {chat['type']} chat")
        return chat

    def _reply_target(self, chat_id: int, params: JSONDict) -> int | None:
        reply = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        target: Any = None
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        elif params.get("reply_to_message_id") is not None:
            target = params["reply_to_message_id"]
        if target is None:
            return None
        if not isinstance(target, int):
            raise _bad_request("invalid reply message identifier")
        stored = self._store.get((chat_id, target))
        if stored is None or stored.deleted:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        return target

    def _store_bot_message(
        self,
        chat: JSONDict,
        params: JSONDict,
        content: JSONDict,
        kind: str,
        raw_text: str | None,
        markup: JSONDict | None,
        **file_info: Any,
    ) -> JSONDict:
        chat_id = chat["id"]
        reply_to = self._reply_target(chat_id, params)
        message: JSONDict = {
            "message_id": self._allocate_message_id(chat_id),
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = self._reply_snapshot(chat_id, reply_to)
        message.update(content)
        _put(message, "reply_markup", _message_inline_markup(markup))
        stored = _StoredMessage(
            chat_id=chat_id,
            message_id=message["message_id"],
            from_bot=True,
            message=message,
            kind=kind,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode") or None,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **file_info,
        )
        self._store[(chat_id, stored.message_id)] = stored
        self._bot_messages.append((chat_id, stored.message_id))
        return copy.deepcopy(message)

    def _editable(self, params: JSONDict) -> _StoredMessage:
        if params.get("inline_message_id"):
            raise _bad_request("message to edit not found")
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        stored = self._store.get((chat["id"], message_id))
        if stored is None or stored.deleted:
            raise _bad_request("message to edit not found")
        if not stored.from_bot:
            raise _bad_request("message can't be edited")
        self._writable_chat(params)
        return stored

    def _upload(self, request: _Request, field_name: str, kind: str) -> tuple[JSONDict, int, str]:
        """File payload, size and name for a sendPhoto/sendDocument argument."""
        value = request.params.get(field_name)
        upload = request.files.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = request.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise _bad_request("file must be non-empty")
            name = upload.filename or field_name
            if kind == "photo":
                width, height = _image_size(upload.data)
                info = self._new_file(kind, len(upload.data), width=width, height=height)
            else:
                mime = upload.content_type or "application/octet-stream"
                info = self._new_file(kind, len(upload.data), file_name=name, mime_type=mime)
            return info, len(upload.data), name
        if not isinstance(value, str) or not value:
            raise _bad_request(f"there is no {field_name} in the request")
        known = self._files.get(value)
        if known is not None:
            info = {k: v for k, v in known.items() if k != "kind"}
            return info, int(known.get("file_size", 0)), str(known.get("file_name", value))
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or field_name
            extra: JSONDict = {"width": 1280, "height": 960} if kind == "photo" else {}
            if kind != "photo":
                extra["file_name"] = name
            return self._new_file(kind, 0, **extra), 0, name
        raise _bad_request("wrong file identifier/HTTP URL specified")

    # -------------------------------------------------------------------------- API methods

    def _get_me(self, request: _Request) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, request: _Request) -> list[JSONDict]:
        params = request.params
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", MAX_UPDATES_LIMIT), 1), MAX_UPDATES_LIMIT)
        timeout = params.get("timeout") or 0
        if not isinstance(timeout, int | float):
            raise _bad_request("invalid timeout specified")
        deadline = time.monotonic() + max(float(timeout), 0.0)
        with self._cond:
            self._poll_generation += 1
            generation = self._poll_generation
            # Wakes an older long poll so that it answers 409, as Telegram does.
            self._cond.notify_all()
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while not self._updates and not self._stopping.is_set():
                # A cancelled poll (ptb cancels its polling task on stop) must end like it does
                # on Telegram rather than linger and later be reported as a conflict.
                if request.client_gone():
                    raise TelegramAPIError(499, "Client Closed Request")
                if generation != self._poll_generation:
                    raise TelegramAPIError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, _CLIENT_CHECK_INTERVAL))
            batch = copy.deepcopy(self._updates[:limit])
            if batch:
                self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
            return batch

    def _delete_webhook(self, request: _Request) -> bool:
        if request.params.get("drop_pending_updates") is True:
            with self._cond:
                self._updates.clear()
        return True

    def _get_webhook_info(self, request: _Request) -> JSONDict:
        with self._cond:
            pending = len(self._updates)
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}

    def _set_my_commands(self, request: _Request) -> bool:
        commands = request.params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(request.params.get("scope")), _lang(request.params))
        with self._cond:
            self._commands[key] = copy.deepcopy(commands)
        return True

    def _get_my_commands(self, request: _Request) -> list[JSONDict]:
        key = (_scope_key(request.params.get("scope")), _lang(request.params))
        with self._cond:
            return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, request: _Request) -> bool:
        key = (_scope_key(request.params.get("scope")), _lang(request.params))
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _profile_setter(self, name: str) -> Handler:
        def handler(request: _Request) -> bool:
            value = request.params.get(name)
            with self._cond:
                if value:
                    self._profile[(name, _lang(request.params))] = str(value)
                else:
                    self._profile.pop((name, _lang(request.params)), None)
            return True

        return handler

    def _profile_getter(self, name: str) -> Handler:
        def handler(request: _Request) -> JSONDict:
            with self._cond:
                return {name: self._profile.get((name, _lang(request.params)), "")}

        return handler

    def _send_message(self, request: _Request) -> JSONDict:
        params = request.params
        raw = params.get("text")
        if not isinstance(raw, str):
            raise _bad_request("message text is empty")
        with self._cond:
            chat = self._writable_chat(params)
            text, entities = _format(raw, params.get("parse_mode"), params.get("entities"))
            if not text:
                raise _bad_request("message text is empty")
            if _utf16_len(text) > MAX_TEXT_LENGTH:
                raise _bad_request("message is too long")
            markup = _validate_markup(params.get("reply_markup"))
            content: JSONDict = {"text": text}
            _put(content, "entities", entities)
            return self._store_bot_message(chat, params, content, "text", raw, markup)

    def _send_file(self, request: _Request, kind: str) -> JSONDict:
        params = request.params
        raw_caption = params.get("caption")
        with self._cond:
            chat = self._writable_chat(params)
            caption, entities = "", list[JSONDict]()
            if isinstance(raw_caption, str):
                caption, entities = _format(
                    raw_caption, params.get("parse_mode"), params.get("caption_entities")
                )
                if _utf16_len(caption) > MAX_CAPTION_LENGTH:
                    raise _bad_request("message caption is too long")
            markup = _validate_markup(params.get("reply_markup"))
            info, size, name = self._upload(request, kind, kind)
            if kind == "photo":
                thumb = {**info, "file_id": info["file_id"] + "-S", "width": 90, "height": 67}
                thumb["file_unique_id"] = info["file_unique_id"] + "S"
                thumb["file_size"] = min(size, 1_200)
                content: JSONDict = {"photo": [thumb, info]}
            else:
                content = {kind: info}
            _put(content, "caption", caption)
            _put(content, "caption_entities", entities)
            return self._store_bot_message(
                chat,
                params,
                content,
                kind,
                raw_caption if isinstance(raw_caption, str) else None,
                markup,
                file_id=info["file_id"],
                file_size=size,
                file_name=name,
            )

    def _send_photo(self, request: _Request) -> JSONDict:
        return self._send_file(request, "photo")

    def _send_document(self, request: _Request) -> JSONDict:
        return self._send_file(request, "document")

    def _edit_message_text(self, request: _Request) -> JSONDict:
        params = request.params
        raw = params.get("text")
        if not isinstance(raw, str):
            raise _bad_request("message text is empty")
        with self._cond:
            stored = self._editable(params)
            if stored.kind != "text":
                raise _bad_request("there is no text in the message to edit")
            text, entities = _format(raw, params.get("parse_mode"), params.get("entities"))
            if not text:
                raise _bad_request("message text is empty")
            if _utf16_len(text) > MAX_TEXT_LENGTH:
                raise _bad_request("message is too long")
            markup = _message_inline_markup(_validate_markup(params.get("reply_markup")))
            message = stored.message
            if (
                text == message.get("text")
                and entities == message.get("entities", [])
                and markup == message.get("reply_markup")
            ):
                raise _not_modified()
            message["text"] = text
            _put(message, "entities", entities)
            _put(message, "reply_markup", markup)
            message["edit_date"] = int(time.time())
            stored.raw_text = raw
            stored.parse_mode = params.get("parse_mode") or None
            stored.reply_markup = markup
            stored.edits += 1
            return copy.deepcopy(message)

    def _edit_message_caption(self, request: _Request) -> JSONDict:
        params = request.params
        raw = params.get("caption")
        raw = raw if isinstance(raw, str) else ""
        with self._cond:
            stored = self._editable(params)
            if stored.kind == "text":
                raise _bad_request("there is no caption in the message to edit")
            caption, entities = _format(
                raw, params.get("parse_mode"), params.get("caption_entities")
            )
            if _utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            markup = _message_inline_markup(_validate_markup(params.get("reply_markup")))
            message = stored.message
            if (
                caption == message.get("caption", "")
                and entities == message.get("caption_entities", [])
                and markup == message.get("reply_markup")
            ):
                raise _not_modified()
            _put(message, "caption", caption)
            _put(message, "caption_entities", entities)
            _put(message, "reply_markup", markup)
            message["edit_date"] = int(time.time())
            stored.raw_text = raw
            stored.parse_mode = params.get("parse_mode") or None
            stored.reply_markup = markup
            stored.edits += 1
            return copy.deepcopy(message)

    def _edit_message_reply_markup(self, request: _Request) -> JSONDict:
        params = request.params
        with self._cond:
            stored = self._editable(params)
            markup = _message_inline_markup(_validate_markup(params.get("reply_markup")))
            if markup == stored.message.get("reply_markup"):
                raise _not_modified()
            _put(stored.message, "reply_markup", markup)
            stored.reply_markup = markup
            stored.edits += 1
            return copy.deepcopy(stored.message)

    def _answer_callback_query(self, request: _Request) -> bool:
        params = request.params
        query_id = params.get("callback_query_id")
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        with self._cond:
            if not isinstance(query_id, str) or self._callback_queries.get(query_id) is not False:
                # Unknown and already answered queries get the same answer from Telegram.
                raise _bad_request(
                    "query is too old and response timeout expired or query ID is invalid"
                )
            self._callback_queries[query_id] = True
            self._callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "text": text,
                    "show_alert": bool(params.get("show_alert", False)),
                    "url": params.get("url"),
                    "cache_time": params.get("cache_time"),
                }
            )
        return True

    def _delete_message(self, request: _Request) -> bool:
        params = request.params
        with self._cond:
            chat = self._chat_for(params)
            message_id = params.get("message_id")
            stored = (
                self._store.get((chat["id"], message_id)) if isinstance(message_id, int) else None
            )
            if stored is None or stored.deleted:
                raise _bad_request("message to delete not found")
            stored.deleted = True
        return True

    def _send_chat_action(self, request: _Request) -> bool:
        params = request.params
        action = params.get("action")
        with self._cond:
            chat = self._writable_chat(params)
            if action not in CHAT_ACTIONS:
                raise _bad_request("wrong parameter action in request")
            self._chat_actions.append({"chat_id": chat["id"], "action": action})
        return True

    def _get_chat_member(self, request: _Request) -> JSONDict:
        params = request.params
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        with self._cond:
            chat = self._chat_for(params)
            if user_id == self.bot_id:
                user = copy.deepcopy(self.bot_user)
                default = "member" if chat["type"] == "private" else "administrator"
            else:
                user = copy.deepcopy(
                    self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "?"})
                )
                is_self = chat["type"] == "private" and chat["id"] == user_id
                default = "member" if is_self else "left"
            status = self._members.get((chat["id"], user_id), default)
        return _chat_member(user, status)

    def _get_chat(self, request: _Request) -> JSONDict:
        with self._cond:
            chat = copy.deepcopy(self._chat_for(request.params))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _leave_chat(self, request: _Request) -> bool:
        with self._cond:
            chat = self._chat_for(request.params)
            if chat["type"] == "private":
                raise _bad_request("chat member status can't be changed in private chats")
            status = self._members.get((chat["id"], self.bot_id), "administrator")
            if status in ("left", "kicked"):
                raise _forbidden(f"bot is not a member of the {chat['type']} chat")
            self._members[(chat["id"], self.bot_id)] = "left"
            self._left_chats.append(chat["id"])
        return True

    def _always_true(self, request: _Request) -> bool:
        return True


# --------------------------------------------------------------------------------------------
# Module-level helpers for the API methods.


def _failed(call: JSONDict) -> bool:
    # 499 marks long polls the client abandoned: normal for ptb, not worth reporting.
    return call["status"] not in (200, None, 499)


def _error_body(status: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _not_modified() -> TelegramAPIError:
    return _bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _coerce_chat_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def _int_param(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_request(f"invalid {name} specified")
    return value


def _lang(params: JSONDict) -> str:
    value = params.get("language_code")
    return value if isinstance(value, str) else ""


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type") in (None, "default"):
        return "default"
    return json.dumps(scope, sort_keys=True)


def _chat_member(user: JSONDict, status: str) -> JSONDict:
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        )
    elif status == "restricted":
        permissions = (
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_send_messages",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_manage_topics",
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_edit_tag",
            "can_react_to_messages",
        )
        member.update(dict.fromkeys(permissions, False))
        member.update({"is_member": True, "until_date": 0})
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _describe(stored: _StoredMessage) -> str:
    who = "bot" if stored.from_bot else f"user {stored.message.get('from', {}).get('id')}"
    parts = [f"#{stored.message_id} {who} [{stored.kind}] {stored.plain_text()!r}"]
    buttons = FakeBotAPI.buttons(stored.message)
    if buttons:
        parts.append(f"buttons={buttons}")
    if stored.reply_to_message_id is not None:
        parts.append(f"reply_to=#{stored.reply_to_message_id}")
    if stored.edits:
        parts.append(f"edits={stored.edits}")
    if stored.deleted:
        parts.append("(deleted)")
    return " ".join(parts)
