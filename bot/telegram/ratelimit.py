"""Telegram's flood limits, with a priority lane for urgent replies.

ptb's AIORateLimiter queues every request first come, first served under Telegram's ~30
messages per second. Under load (bench/load.py: 500 patients at once) that put a patient who
wrote "je saigne beaucoup" seconds behind other people's FAQ answers. A reply that carries
the phone number must not wait.

Built on ptb's public API only (#11): :class:`PriorityRateLimiter` is a
``BaseRateLimiter`` that delegates ordinary requests to an ``AIORateLimiter``. A request sent
with ``rate_limit_args={"urgent": True}`` to a private chat skips the overall queue; if
Telegram answers 429 it waits the ``retry_after`` and tries again, up to ``max_retries``
times, like the ordinary lane. A handful of urgent messages above 30/s is within what
Telegram tolerates; if not, our outbox takes over as for any message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

log = logging.getLogger("bot.ratelimit")

JSONDict = dict[str, Any]
RateLimitArgs = dict[str, Any]
URGENT: RateLimitArgs = {"urgent": True}


def _seconds(exc: RetryAfter) -> float:
    wait = exc.retry_after
    return wait if isinstance(wait, int | float) else wait.total_seconds()


class PriorityRateLimiter(BaseRateLimiter[RateLimitArgs]):
    def __init__(self, max_retries: int = 0) -> None:
        self._max_retries = max_retries
        self._ordinary = AIORateLimiter(max_retries=max_retries)

    async def initialize(self) -> None:
        await self._ordinary.initialize()

    async def shutdown(self) -> None:
        await self._ordinary.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        private = isinstance(chat_id, int) and chat_id > 0
        if rate_limit_args and rate_limit_args.get("urgent") and private:
            for attempt in range(self._max_retries + 1):
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == self._max_retries:
                        raise
                    log.info("urgent reply: Telegram asked to wait %.1f s", _seconds(exc))
                    await asyncio.sleep(_seconds(exc) + 0.1)
        return await self._ordinary.process_request(callback, args, kwargs, endpoint, data, None)
