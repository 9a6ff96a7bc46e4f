"""Telegram's flood limits, with a priority lane for urgent replies.

ptb's AIORateLimiter queues every request first come, first served under Telegram's ~30
messages per second. Under load (bench/load.py: 500 patients at once) that put a patient
who wrote "je saigne beaucoup" ten seconds behind other people's FAQ answers. A reply that
carries the phone number must not wait: requests sent while :data:`URGENT` is set skip the
overall queue (they still pause during a 429's retry_after, and per-group limits still
apply). A handful of urgent messages above 30/s is within what Telegram tolerates; if it
ever answers 429, the limiter's retries and our outbox take over as for any message.

This overrides ``_run_request``, a private method of ptb 22's AIORateLimiter: the project
pins ``python-telegram-bot<23`` and tests/test_hostile.py measures the priority, so a change
in ptb shows up as a failing test rather than a silent loss of priority.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

URGENT: ContextVar[bool] = ContextVar("urgent_send", default=False)


class PriorityRateLimiter(AIORateLimiter):
    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        if URGENT.get() and not group:
            await self._retry_after_event.wait()
            return await callback(*args, **kwargs)
        return await super()._run_request(
            chat=chat,
            group=group,
            allow_paid_broadcast=allow_paid_broadcast,
            callback=callback,
            args=args,
            kwargs=kwargs,
        )
