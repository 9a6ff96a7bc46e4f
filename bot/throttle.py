"""Per-chat flood control for patient messages.

A patient who sends 100 messages in ten seconds (a stuck keyboard, a copy-paste loop, a
panic) must not make the bot send 100 answers and hit Telegram's limits for everyone.
Beyond the limit the bot still reads every message for urgency (an urgent message in a
burst is escalated as always) but stops answering the rest, after one polite notice.
Kept in memory on purpose: after a restart everyone starts with a clean slate.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_MESSAGES = 20
WINDOW_S = 60.0


class Throttle:
    def __init__(
        self,
        max_messages: int = MAX_MESSAGES,
        window_s: float = WINDOW_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_messages = max_messages
        self.window_s = window_s
        self._now = now
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def hit(self, chat_id: int) -> bool:
        """Count one message; True when this chat is over its limit."""
        now = self._now()
        seen = self._seen.setdefault(chat_id, deque())
        while seen and now - seen[0] > self.window_s:
            seen.popleft()
        seen.append(now)
        if len(self._seen) > 10_000:  # bound memory: forget chats idle for a window
            for key in [k for k, v in self._seen.items() if now - v[-1] > self.window_s]:
                del self._seen[key]
                self._warned.pop(key, None)
        return len(seen) > self.max_messages

    def should_warn(self, chat_id: int) -> bool:
        """True once per window for a chat over its limit."""
        now = self._now()
        last = self._warned.get(chat_id)
        if last is not None and now - last <= self.window_s:
            return False
        self._warned[chat_id] = now
        return True
