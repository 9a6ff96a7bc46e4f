"""Time as a dependency: production reads the system clock, tests move a fake one.

Nothing in the bot calls ``datetime.now()`` directly, so a reminder due in three days or a
re-notification due in ten minutes is tested in milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
