"""The HTTP client ptb talks to Telegram with: through the hospital's proxy if there is one,
and telling the heartbeat (health.py) each time Telegram answered.

Proxy: TELEGRAM_PROXY_URL when set; otherwise httpx reads the standard HTTPS_PROXY,
HTTP_PROXY, ALL_PROXY and NO_PROXY variables itself. Plain HTTP(S) proxies only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.request import HTTPXRequest

from bot.config import Settings


class HeartbeatRequest(HTTPXRequest):
    __slots__ = ("_on_success",)

    def __init__(self, on_success: Callable[[], Awaitable[None]] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_success = on_success

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        # Only a 2xx proves Telegram itself answered: a 5xx or a 407 may come from a proxy.
        if 200 <= code < 300 and self._on_success is not None:
            await self._on_success()
        return code, payload


def build_request(
    settings: Settings,
    pool_size: int,
    on_success: Callable[[], Awaitable[None]] | None = None,
) -> HeartbeatRequest:
    return HeartbeatRequest(
        on_success, connection_pool_size=pool_size, proxy=settings.telegram_proxy_url
    )
