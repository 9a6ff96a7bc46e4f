"""What the running bot holds: settings, clock, content and the open database.

Telegram handlers reach it through ``context.bot_data``; tests build one around a fake
clock. Keeping it free of ``telegram`` lets the console demo and the command line share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content import Content
from bot.enrollment import Enrollment
from bot.escalation import Escalation
from bot.storage import Database
from bot.throttle import Throttle

if TYPE_CHECKING:
    from bot.session import Session


@dataclass
class Runtime:
    settings: Settings
    content: Content
    clock: Clock = field(default_factory=SystemClock)
    _db: Database | None = None
    escalation: Escalation | None = None
    throttle: Throttle = field(default_factory=Throttle)
    _enrollment: Enrollment | None = None
    _session: Session | None = None

    @property
    def session(self) -> Session:
        """The patient session service (kept here: it holds alerts awaiting storage)."""
        if self._session is None:
            from bot.session import Session

            self._session = Session(self)
        return self._session

    @property
    def enrollment(self) -> Enrollment:
        if self._enrollment is None:
            self._enrollment = Enrollment(self.db, self.settings, self.clock)
        return self._enrollment

    @property
    def staff(self) -> Escalation:
        """The escalation service, for handlers that only run in the staff group.

        That group exists only when a staff chat id is set, and then start() has built the
        service: a staff handler that finds none is a wiring bug, not a case to handle.
        """
        if self.escalation is None:
            raise RuntimeError("no staff chat configured: staff handlers cannot run")
        return self.escalation

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("database not open: Runtime.start() was not awaited")
        return self._db

    async def start(self) -> None:
        if self._db is None:
            self._db = await Database.open(self.settings.database_path)
            await self._db.recover_outbox()
            await self._db.recover_steps()
        if self.settings.staff_chat_id is not None:
            self.escalation = Escalation(
                self._db, self.settings, self.clock, self.content.severity_label
            )

    async def stop(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            self.escalation = None
            self._enrollment = None
            await db.close()
