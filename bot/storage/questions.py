"""Questions the FAQ could not answer, kept for the team to improve it."""

from __future__ import annotations

from datetime import datetime

from bot.storage.core import Core
from bot.storage.rows import Question, QuestionGroup, to_db


class QuestionStore(Core):
    """The unanswered table."""

    async def record_unanswered(
        self,
        *,
        chat_id: int | None,
        patient_id: int | None,
        kind: str,
        normalized: str,
        text: str,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO unanswered (patient_id, chat_id, kind, normalized, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (patient_id, chat_id, kind, normalized, text, to_db(now)),
        )

    async def unanswered(self, unanswered_id: int) -> Question | None:
        return await self._one(Question, "SELECT * FROM unanswered WHERE id = ?", (unanswered_id,))

    async def unanswered_report(self, limit: int = 50) -> list[QuestionGroup]:
        """Unanswered questions grouped by normalised text, most frequent first."""
        return await self._all(
            QuestionGroup,
            "SELECT normalized, COUNT(*) AS n, MAX(text) AS example, "
            "SUM(kind = 'fallback') AS fallbacks, SUM(kind = 'clarify') AS clarified, "
            "MAX(created_at) AS last_seen FROM unanswered "
            "GROUP BY normalized ORDER BY n DESC, last_seen DESC LIMIT ?",
            (limit,),
        )
