"""The patient session: what happens when a patient writes, whatever the door.

Throttle -> triage -> open thread -> FAQ and intents -> actions. The Telegram handlers, the
terminal demo and ``python -m bot ask`` all call :meth:`Session.on_text`, so the
alert-thread rule, the concern notes and the requests behave the same everywhere. It
writes what must be durable (alerts, notes, unanswered questions) and *returns* what must
be sent, as :class:`Send` actions: the caller delivers them (Telegram, or a terminal).

Order for an urgent message: the alert row is written first (one local transaction, never
behind anything that can hang), then the patient's reply goes out on the priority lane. If
the database cannot be written (disk full, read-only file), the patient still gets the
line, the alert goes straight to the staff group (:class:`StaffDirect`, best effort), stays
in memory, and is written when storage is back (:meth:`Session.flush_pending`); a CRITICAL
log line says so, without the patient's words.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot import texts
from bot.callbacks import Forward, encode
from bot.conversation import Button, Reply
from bot.escalation import Escalation, told_summary
from bot.intents import typed_checkin_answer
from bot.normalize import normalize
from bot.reminders.plan import checkin_buttons, is_note, is_worrying, scale_score
from bot.render import Html, fit_quote, html_format
from bot.storage import AlertKind
from bot.triage import TriageResult

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.session")


@dataclass(frozen=True)
class Send:
    """A reply for the patient's chat; ``urgent`` sends it on the priority lane."""

    chat_id: int
    reply: Reply
    urgent: bool = False
    extra_rows: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class StaffDirect:
    """Post this to the staff group now, outside the outbox (storage is failing)."""

    text: Html


@dataclass(frozen=True)
class RunCommand:
    """The patient asked in words for a command's flow ("STOP", "supprimer mes données")."""

    chat_id: int
    command: str


@dataclass(frozen=True)
class DropButtons:
    """Remove the answer buttons under a message the patient answered by typing."""

    chat_id: int
    message_id: int


@dataclass(frozen=True)
class Wake:
    """Something was queued for staff: deliver it now rather than at the next tick."""


Action = Send | StaffDirect | RunCommand | DropButtons | Wake

# A typed "7" answers the check-in sent within this window; later it is just a message.
TYPED_ANSWER_WINDOW = timedelta(hours=72)


class CheckinOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # a double tap: only the first answer counts
    STALE = "stale"  # unknown step, another chat's step, or a value the step does not offer


@dataclass
class PendingAlert:
    chat_id: int
    text: str
    found: TriageResult
    told: str
    kind: AlertKind
    update_id: int | None


@dataclass
class Session:
    rt: Runtime
    pending: list[PendingAlert] = field(default_factory=list)

    @property
    def escalation(self) -> Escalation | None:
        return self.rt.escalation

    async def on_text(self, chat_id: int, text: str, update_id: int | None = None) -> list[Action]:
        """The actions for one patient message, in the order they must happen."""
        rt = self.rt
        conv = rt.content.conversation
        if rt.throttle.hit(chat_id):
            alarm = self._urgent_reply(text)
            if alarm is not None:
                return await self.urgent(chat_id, text, alarm, update_id)
            if rt.throttle.should_warn(chat_id):
                return [Send(chat_id, self._info(texts.SLOW_DOWN))]
            return []
        reply = conv.respond(text)
        net_only = reply.triage is not None and reply.triage.net_only
        if reply.kind == "urgent" and not net_only:
            return await self.urgent(chat_id, text, reply, update_id)
        # A typed answer to a waiting check-in ("pas bien", "4/10") is recorded as such, even
        # if the safety net alone found it unusual; a rule-level red flag always wins.
        typed = await self._typed_checkin(chat_id, text, update_id)
        if typed is not None:
            return typed
        if reply.kind == "urgent":
            return await self.urgent(chat_id, text, reply, update_id)
        if reply.command:
            return [RunCommand(chat_id, reply.command)]
        esc = self.escalation
        if esc is not None:
            thread = await esc.open_thread(chat_id)
            if thread is not None:
                # A person is on the case: the message goes to them, the bot steps back.
                await esc.follow_up(thread, text, update_id)
                return [Send(chat_id, self._info(texts.FOLLOWUP_FORWARDED)), Wake()]
        woke: list[Action] = []
        if esc is not None and reply.staff_note:
            await esc.note(chat_id, text, update_id)
            woke.append(Wake())
        elif esc is not None and reply.kind == "request":
            await esc.logistics(chat_id, text, update_id)
            woke.append(Wake())
        extra: tuple[tuple[Button, ...], ...] = ()
        if reply.record_unanswered:
            patient = await rt.db.patient_by_chat(chat_id)
            row_id = await rt.db.record_unanswered(
                chat_id=chat_id,
                patient_id=patient.id if patient is not None else None,
                kind=reply.kind,
                normalized=normalize(text)[:500],
                text=text,
                now=rt.clock.now(),
            )
            if reply.offer_forward and esc is not None:
                extra = ((Button(texts.FORWARD_BUTTON, encode(Forward(row_id))),),)
        return [Send(chat_id, reply, extra_rows=extra), *woke]

    async def _typed_checkin(
        self, chat_id: int, text: str, update_id: int | None
    ) -> list[Action] | None:
        """ "7", "7/10" or "pas bien" typed while a check-in waits: recorded as its answer."""
        rt = self.rt
        row = await rt.db.awaiting_checkin(chat_id, rt.clock.now() - TYPED_ANSWER_WINDOW)
        step = rt.content.plan.get(row.step_id) if row is not None else None
        if row is None or step is None:
            return None
        value = typed_checkin_answer(text, checkin_buttons(step), step.scale)
        if value is None:
            return None
        outcome, actions = await self.answer_checkin(chat_id, row.id, value, update_id)
        if outcome is not CheckinOutcome.RECORDED:
            return None
        if row.message_id is not None:
            actions.insert(0, DropButtons(chat_id, row.message_id))
        return actions

    async def answer_checkin(
        self, chat_id: int, row_id: int, value: str, update_id: int | None
    ) -> tuple[CheckinOutcome, list[Action]]:
        """Record a check-in answer (button or typed); a worrying one reaches staff."""
        rt = self.rt
        row = await rt.db.step(row_id)
        step = rt.content.plan.get(row.step_id) if row is not None else None
        if row is None or step is None or row.chat_id != chat_id:
            return CheckinOutcome.STALE, []
        choices = checkin_buttons(step)
        if value not in {v for _, v in choices}:
            return CheckinOutcome.STALE, []
        score = scale_score(step, value)
        previous = await rt.db.previous_score(row.patient_id, row_id)
        if not await rt.db.record_answer(row_id, value, score, rt.clock.now()):
            return CheckinOutcome.ALREADY, []
        esc = self.escalation
        label = next((lbl for lbl, v in choices if v == value), value)
        title = texts.step_title(step.days, step.offset)
        summary = f"{title} — {step_question(step.text)} : {label}"
        if esc is not None and not is_worrying(step, value, previous) and is_note(step, value):
            await esc.note(chat_id, summary, update_id)
            return CheckinOutcome.RECORDED, [Send(chat_id, self._info(texts.CHECKIN_NOTED)), Wake()]
        if not is_worrying(step, value, previous) or esc is None:
            return CheckinOutcome.RECORDED, [Send(chat_id, Reply("info", texts.CHECKIN_THANKS))]
        reply = self._info(texts.CHECKIN_WORRYING)
        found = TriageResult(
            severity="urgent", categories=("suivi",), labels=(texts.CHECKIN_ALERT_LABEL,)
        )
        await esc.raise_alert(
            chat_id,
            summary,
            found,
            told=told_summary(reply.text, rt.settings.hotline_phone),
            kind=AlertKind.CHECKIN,
            update_id=update_id,
        )
        return CheckinOutcome.RECORDED, [Send(chat_id, reply, urgent=True), Wake()]

    async def on_edit(self, chat_id: int, text: str, update_id: int | None = None) -> list[Action]:
        """An edit gets no second answer, unless the new text is urgent: never ignored."""
        alarm = self._urgent_reply(text)
        if alarm is None:
            return []
        return await self.urgent(chat_id, text, alarm, update_id)

    def _urgent_reply(self, text: str) -> Reply | None:
        """The urgent reply to a message that gets no other answer (an edit, a flood): the
        same reading as any message (rules, English, then the safety net), or None."""
        if not text.strip():
            return None
        reply = self.rt.content.conversation.respond(text)
        return reply if reply.kind == "urgent" else None

    async def urgent(
        self, chat_id: int, text: str, reply: Reply, update_id: int | None
    ) -> list[Action]:
        """Alert first (or the storage-fault path), then the reply on the priority lane."""
        actions: list[Action] = [Send(chat_id, reply, urgent=True)]
        esc = self.escalation
        found = reply.triage
        if esc is None or found is None:
            log.error("urgent message but no staff group configured; patient got the hotline")
            return actions
        kind = alert_kind(found)
        told = told_summary(reply.text, self.rt.settings.hotline_phone)
        try:
            alert_id = await esc.raise_alert(
                chat_id, text, found, told=told, kind=kind, update_id=update_id
            )
            log.info("alert %s raised, kind %s, severity %s", alert_id, kind, found.severity)
            actions.append(Wake())
        except sqlite3.Error as exc:
            log.critical(
                "storage failed while raising an alert (%s): posted directly to staff, kept "
                "in memory until the database accepts it",
                type(exc).__name__,
            )
            self.pending.append(PendingAlert(chat_id, text, found, told, kind, update_id))
            actions.append(StaffDirect(self._direct_post(text, found, told, esc)))
        return actions

    def _direct_post(self, text: str, found: TriageResult, told: str, esc: Escalation) -> Html:
        def build(quoted: Html) -> Html:
            return html_format(
                texts.STAFF_ALERT_UNSTORED,
                severity=esc.severity_label(found.severity),
                categories=", ".join(found.labels),
                received=texts.short_time(self.rt.clock.now(), self.rt.settings.timezone),
                told=told,
                message=quoted,
            )

        return fit_quote(build, text)

    async def flush_pending(self) -> int:
        """Write alerts kept in memory during a storage fault; how many are still waiting."""
        esc = self.escalation
        while self.pending and esc is not None:
            p = self.pending[0]
            try:
                await esc.raise_alert(
                    p.chat_id, p.text, p.found, told=p.told, kind=p.kind, update_id=p.update_id
                )
            except sqlite3.Error:
                return len(self.pending)
            self.pending.pop(0)
            log.warning("alert kept in memory during a storage fault is now stored")
        return len(self.pending)

    def _info(self, template: str) -> Reply:
        return Reply("info", texts.with_hotline(template, self.rt.settings.hotline_phone))


def step_question(text: str) -> str:
    """The question of a check-in text, for staff: its last line ending with "?"."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().endswith("?")]
    return lines[-1] if lines else text.strip().splitlines()[0] if text.strip() else ""


def alert_kind(found: TriageResult) -> AlertKind:
    if getattr(found, "net_only", False):
        return AlertKind.CHECK
    if found.severity == "humain":
        return AlertKind.REQUEST
    return AlertKind.URGENT
