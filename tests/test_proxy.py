"""The bot through a hospital's outbound proxy: a loopback HTTP proxy (stdlib asyncio) in front
of the fake Bot API, set by TELEGRAM_PROXY_URL, or by the standard HTTPS_PROXY variable with
TLS to the server through a CONNECT tunnel, as with the real api.telegram.org."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from telegram.error import NetworkError

from bot.config import Settings
from bot.telegram.app import build_application
from tests.conftest import HOTLINE, PATIENT, start_bot, stop_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _splice(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    await asyncio.gather(_pipe(a[0], b[1]), _pipe(b[0], a[1]))


class _Loopback:
    """A server on 127.0.0.1 that closes its clients' connections when it stops."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._track, "127.0.0.1", 0, ssl=self._ssl)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._clients):
            writer.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await self._client(reader, writer)
        finally:
            self._clients.discard(writer)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class LoopbackProxy(_Loopback):
    """An HTTP proxy as hospitals run them: CONNECT tunnels, and absolute-form requests
    forwarded one upstream connection each. Records what it was asked, to prove the path."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    async def __aenter__(self) -> LoopbackProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *header_lines = head.split("\r\n")
                method, target, version = request_line.split(" ")
                self.seen.append(f"{method} {target}")
                if method == "CONNECT":
                    host, port = target.rsplit(":", 1)
                    upstream = await asyncio.open_connection(host, int(port))
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await _splice((reader, writer), upstream)
                    return
                await self._forward(reader, writer, method, target, version, header_lines)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _forward(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        version: str,
        header_lines: list[str],
    ) -> None:
        url = urlsplit(target)
        assert url.scheme == "http" and url.hostname and url.port, target
        headers = [
            h for h in header_lines if h and not h.lower().startswith(("proxy-", "connection:"))
        ]
        length = next(
            (int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")),
            0,
        )
        body = await reader.readexactly(length)
        up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
        path = url.path + (f"?{url.query}" if url.query else "")
        up_writer.write(
            f"{method} {path} {version}\r\n{''.join(h + chr(13) + chr(10) for h in headers)}"
            "Connection: close\r\n\r\n".encode("latin-1")
            + body
        )
        await up_writer.drain()
        writer.write(await up_reader.read())  # the server closes after one answer
        await writer.drain()
        up_writer.close()


class TlsFront(_Loopback):
    """TLS in front of the plain fake Bot API, with a certificate made for 127.0.0.1."""

    def __init__(self, backend_port: int, cert: Path, key: Path) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        super().__init__(context)
        self._backend_port = backend_port

    async def __aenter__(self) -> TlsFront:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection("127.0.0.1", self._backend_port)
        await _splice((reader, writer), upstream)


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    async with LoopbackProxy() as running:
        yield running


async def _patient_is_answered(fake: FakeBotAPI) -> None:
    fake.send_text(PATIENT, "je saigne beaucoup depuis ce matin")
    [reply] = await fake.wait_for_messages(PATIENT, 1, timeout=10)
    assert HOTLINE in reply["text"]


async def test_bot_works_through_the_proxy_setting(
    settings: Settings,
    clock: FakeClock,
    fake: FakeBotAPI,
    proxy: LoopbackProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    bot = await start_bot(replace(settings, telegram_proxy_url=proxy.url), clock, fake)
    try:
        await _patient_is_answered(fake)
    finally:
        await stop_bot(bot)
    base = fake.base_url
    # Every call the fake saw came through the proxy (same count per method).
    for method in ("getMe", "getUpdates", "sendMessage"):
        through = [s for s in proxy.seen if s == f"POST {base}{fake.token}/{method}"]
        assert len(through) == len(fake.calls(method)) > 0, method


async def test_proxy_down_means_no_telegram(
    settings: Settings, clock: FakeClock, fake: FakeBotAPI
) -> None:
    """A proxy that does not answer: the bot cannot start, and takes no direct route."""
    async with LoopbackProxy() as gone:
        url = gone.url
    app = build_application(replace(settings, telegram_proxy_url=url), clock=clock)
    with pytest.raises(NetworkError, match="ConnectError"):
        await app.initialize()
    await app.shutdown()
    assert fake.calls("getMe") == []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_proxy_variable_tunnels_tls(
    settings: Settings,
    clock: FakeClock,
    fake: FakeBotAPI,
    proxy: LoopbackProxy,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = certificate
    for var in ("HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, as httpx does
    async with TlsFront(fake.port, cert, key) as tls:
        tunnel = f"CONNECT 127.0.0.1:{tls.port}"
        base_url = f"https://127.0.0.1:{tls.port}/bot"
        bot = await start_bot(replace(settings, telegram_api_base_url=base_url), clock, fake)
        try:
            await _patient_is_answered(fake)
        finally:
            await stop_bot(bot)
    # One or more tunnels, and never a request in clear through the proxy.
    assert proxy.seen and set(proxy.seen) == {tunnel}
