"""Alerts to staff: kinds, states, threads, relay drafts and the escalation policy.

Everything here is a database row first (``alerts``, ``outbox``, ``relay_drafts``); the
dispatcher delivers the outbox later, retrying until Telegram accepts. So a Telegram outage,
a 429 or a restart between "the patient wrote" and "the staff group saw it" delays an alert
but never loses it. No ``telegram`` import: the demo and ``ask`` run the same rules.

An alert is a *thread*: its first post, then follow-ups, re-posts and staff replies.

Kinds (what the staff are asked to do)::

    urgent    a red flag found by the triage rules        re-posted, diverts the patient
    check     "à vérifier": only the safety net flagged   re-posted, diverts the patient
    checkin   a worrying answer to a follow-up question   re-posted, diverts the patient
    request   the patient asks for a person (or logistics) re-posted, diverts the patient
    question  an FAQ question passed on by the patient    answered, never re-posted
    note      a non-urgent symptom report, no answer due  for information

States::

    open --(Pris en charge, or a reply sent)--> acknowledged --(Clore)--> closed
      \\__________________(Clore)___________________________________/
      \\__ no activity for ALERT_QUIET_HOURS (patient told) __> auto_closed

While a diverting thread is open or acknowledged, the patient's further messages go to it
(a person is on the case: the bot steps back). An urgent message always raises its own
alert, unless an urgent alert of that patient is already in progress: then it is threaded
there and re-raised (a highlighted post with the buttons, re-posting restarted).

Escalation policy (like on-call tools): an open alert is re-posted every
ESCALATION_RENOTIFY_MINUTES, at most ESCALATION_MAX_RENOTIFY times; then every user of
ONCALL_USER_IDS gets a private message and the patient is told to call the line or the 15.
An acknowledged alert not closed after ACK_REMINDER_HOURS is recalled once in its thread.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.callbacks import Ack, Close, RelayCancel, RelaySend, encode
from bot.clock import Clock
from bot.config import Settings
from bot.render import TELEGRAM_MAX, Html, esc, fit_quote, html_format, split_plain
from bot.storage import Alert, AlertKind, AlertState, Database, Draft, DraftStatus, Patient
from bot.triage import TriageResult, severity_rank

# Which kinds divert the patient's next messages to staff, and are re-posted until taken.
DIVERTING: tuple[str, ...] = (
    AlertKind.URGENT,
    AlertKind.CHECK,
    AlertKind.CHECKIN,
    AlertKind.REQUEST,
)
IN_PROGRESS = (AlertState.OPEN, AlertState.ACKNOWLEDGED)

# An alert post is later re-posted under a "🔁 Rappel" line and edited to add "Pris en charge
# par …": fitted this much short of Telegram's limit, those stay within it too.
POST_ROOM = 200

QUESTION_SEVERITY = "question"
NOTE_SEVERITY = "note"
LOGISTICS_SEVERITY = "logistique"
CHECK_SEVERITY = "check"


@dataclass(frozen=True)
class _Posted:
    """What an alert is filed as, and the staff post template that presents it."""

    kind: AlertKind
    severity: str
    template: str


# The alerts posted once, for information or an answer, differ only by these.
_QUESTION = _Posted(AlertKind.QUESTION, QUESTION_SEVERITY, texts.STAFF_QUESTION)
_NOTE = _Posted(AlertKind.NOTE, NOTE_SEVERITY, texts.STAFF_NOTE)
_LOGISTICS = _Posted(AlertKind.REQUEST, LOGISTICS_SEVERITY, texts.STAFF_LOGISTICS)

# Staff posts go out most severe first (the group takes about 20 posts a minute).
_KIND_PRIORITY = {
    AlertKind.CHECK: 30,
    AlertKind.CHECKIN: 35,
    AlertKind.REQUEST: 10,
    AlertKind.QUESTION: 5,
    AlertKind.NOTE: 3,
}


def priority(kind: str, severity: str, enrolled: bool) -> int:
    """Staff post priority: vital 50 … note 3; an enrolled patient before an unknown sender."""
    if kind == AlertKind.URGENT or (kind == AlertKind.REQUEST and severity == "humain"):
        base = 10 + 10 * severity_rank(severity)
    else:
        base = _KIND_PRIORITY.get(AlertKind(kind), 0)
    return base + (1 if enrolled else 0)


def buttons_json(rows: list[list[tuple[str, str]]]) -> str:
    return json.dumps([[list(b) for b in row] for row in rows], ensure_ascii=False)


def parse_buttons(raw: str | None) -> list[list[tuple[str, str]]]:
    if not raw:
        return []
    return [[(str(b[0]), str(b[1])) for b in row] for row in json.loads(raw)]


def ack_buttons(alert_id: int | str) -> str:
    ack = encode(Ack(int(alert_id))) if str(alert_id).isdigit() else f"ack:{alert_id}"
    close = encode(Close(int(alert_id))) if str(alert_id).isdigit() else f"close:{alert_id}"
    return buttons_json([[(texts.STAFF_ACK_BUTTON, ack), (texts.STAFF_CLOSE_BUTTON, close)]])


def close_buttons(alert_id: int | str) -> str:
    close = encode(Close(int(alert_id))) if str(alert_id).isdigit() else f"close:{alert_id}"
    return buttons_json([[(texts.STAFF_CLOSE_BUTTON, close)]])


def draft_buttons(draft_id: int) -> str:
    return buttons_json(
        [
            [
                (texts.RELAY_SEND_BUTTON, encode(RelaySend(draft_id))),
                (texts.RELAY_CANCEL_BUTTON, encode(RelayCancel(draft_id))),
            ]
        ]
    )


def told_summary(reply_text: str, hotline: str) -> str:
    """What the patient's reply gave them to call, for the staff post ("15 · 112 · ligne")."""
    numbers = [n for n in ("15", "112", "114", "3114") if _has_number(reply_text, n)]
    if hotline in reply_text:
        numbers.append(texts.TOLD_HOTLINE)
    return " · ".join(numbers) if numbers else texts.TOLD_NOTHING


def _has_number(text: str, number: str) -> bool:
    start = 0
    while (i := text.find(number, start)) >= 0:
        before = text[i - 1] if i > 0 else " "
        after = text[i + len(number)] if i + len(number) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = i + 1
    return False


@dataclass(frozen=True)
class AckOutcome:
    won: bool
    alert: Alert | None


# A plain holder of its collaborators: eq=False keeps comparison by identity, as before.
@dataclass(eq=False)
class Escalation:
    db: Database
    settings: Settings
    clock: Clock
    severity_label: Callable[[str], str]

    @property
    def staff_chat_id(self) -> int:
        if self.settings.staff_chat_id is None:
            raise RuntimeError("STAFF_CHAT_ID is not set")
        return self.settings.staff_chat_id

    def _received(self) -> str:
        return texts.short_time(self.clock.now(), self.settings.timezone)

    def _renotify_at(self, now: datetime) -> datetime | None:
        if self.settings.escalation_max_renotify <= 0:
            return None
        return now + timedelta(minutes=self.settings.escalation_renotify_minutes)

    async def _describe_patient(self, patient: Patient | None) -> tuple[str, str]:
        """(label, appointment line) for staff posts; never more than staff typed."""
        if patient is None:
            return texts.UNENROLLED_LABEL, texts.NO_APPOINTMENT
        label = patient.label
        when = patient.appointment_at
        tz = self.settings.timezone
        day = texts.relative_day(when, self.clock.now(), tz)
        return label, f"{texts.appointment_words(when, tz)} ({day})"

    def _heading(self, kind: str, severity: str) -> str:
        if kind == AlertKind.CHECK:
            return texts.KIND_CHECK_LABEL
        if kind == AlertKind.NOTE:
            return texts.KIND_NOTE_LABEL
        if kind == AlertKind.REQUEST and severity == LOGISTICS_SEVERITY:
            return texts.KIND_LOGISTICS_LABEL
        if kind == AlertKind.CHECKIN:
            return texts.KIND_CHECKIN_LABEL
        return self.severity_label(severity)

    # --- raising ------------------------------------------------------------------------

    async def open_thread(self, chat_id: int) -> Alert | None:
        """The thread the patient's messages go to while a person is on the case, if any."""
        return await self.db.open_thread(chat_id, DIVERTING)

    async def raise_alert(
        self,
        chat_id: int,
        message: str,
        found: TriageResult,
        *,
        told: str,
        kind: AlertKind = AlertKind.URGENT,
        update_id: int | None = None,
    ) -> int:
        """An alert for an urgent (or "à vérifier", check-in, request) message.

        Idempotent per update: handled again after a crash, the same update raises nothing new.
        """
        if update_id is not None and (done := await self.db.inbox_alert(update_id)) is not None:
            return done
        now = self.clock.now()
        # An urgent message raises its own alert unless an urgent one is in progress; a
        # request or a worrying check-in joins any thread a person is already on.
        joins = (AlertKind.URGENT,) if kind in (AlertKind.URGENT, AlertKind.CHECK) else DIVERTING
        if kind != AlertKind.QUESTION:
            same = await self.db.open_thread(chat_id, joins)
            if same is not None:
                await self._reraise(same, message, found, told, update_id)
                return same.id
        return await self._create(
            chat_id,
            message,
            _Posted(kind, found.severity, texts.STAFF_ALERT),
            now=now,
            categories=found.categories,
            told=told,
            escalates=kind in DIVERTING,
            update_id=update_id,
            fields={
                "severity": self._heading(kind, found.severity),
                "categories": ", ".join(found.labels),
                "told": told,
            },
        )

    async def _create(
        self,
        chat_id: int,
        message: str,
        posted: _Posted,
        *,
        now: datetime,
        categories: tuple[str, ...] = (),
        told: str | None = None,
        escalates: bool = False,
        update_id: int | None,
        fields: dict[str, object] | None = None,
    ) -> int:
        """A new alert and its first staff post; every kind is described the same way.

        ``fields`` fill what the kind's template says beyond the patient, the time and the
        quoted message. Only an escalating alert is re-posted and offers "Pris en charge".
        """
        patient = await self.db.patient_by_chat(chat_id)
        label, appointment = await self._describe_patient(patient)

        def build(quoted: Html) -> Html:
            return html_format(
                posted.template,
                label=label,
                appointment=appointment,
                received=self._received(),
                message=quoted,
                alert_id=Html("{alert_id}"),
                **(fields or {}),
            )

        return await self.db.create_alert(
            chat_id=chat_id,
            patient_id=patient.id if patient is not None else None,
            kind=posted.kind,
            severity=posted.severity,
            categories=",".join(categories),
            told=told,
            now=now,
            renotify_at=self._renotify_at(now) if escalates else None,
            staff_chat_id=self.staff_chat_id,
            post_text=fit_quote(build, message, TELEGRAM_MAX - POST_ROOM),
            post_buttons=ack_buttons("{alert_id}") if escalates else close_buttons("{alert_id}"),
            priority=priority(posted.kind, posted.severity, patient is not None),
            update_id=update_id,
        )

    async def _reraise(
        self,
        alert: Alert,
        message: str,
        found: TriageResult,
        told: str,
        update_id: int | None,
    ) -> None:
        """A new urgent message in an urgent thread: highlighted, with the buttons again."""
        label, _ = await self._describe_patient(await self.db.patient_by_chat(alert.chat_id))

        def build(quoted: Html) -> Html:
            return html_format(
                texts.STAFF_RERAISE,
                severity=self.severity_label(found.severity),
                categories=", ".join(found.labels),
                label=label,
                alert_id=alert.id,
                received=self._received(),
                told=told,
                message=quoted,
            )

        now = self.clock.now()
        state = str(alert.status)
        await self.db.add_to_thread(
            alert_id=alert.id,
            staff_chat_id=self.staff_chat_id,
            text=fit_quote(build, message),
            buttons=ack_buttons(alert.id) if state == AlertState.OPEN else close_buttons(alert.id),
            priority=priority(AlertKind.URGENT, found.severity, True),
            now=now,
            update_id=update_id,
            reraise_at=self._renotify_at(now) if state == AlertState.OPEN else None,
        )

    async def follow_up(self, alert: Alert, message: str, update_id: int | None = None) -> None:
        """A further (not urgent) message from a patient whose thread is in progress."""
        if update_id is not None and await self.db.inbox_alert(update_id) is not None:
            return
        label, _ = await self._describe_patient(await self.db.patient_by_chat(alert.chat_id))

        def build(quoted: Html) -> Html:
            return html_format(
                texts.STAFF_FOLLOWUP,
                label=label,
                alert_id=alert.id,
                received=self._received(),
                message=quoted,
            )

        await self.db.add_to_thread(
            alert_id=alert.id,
            staff_chat_id=self.staff_chat_id,
            text=fit_quote(build, message),
            buttons=None,
            priority=priority(str(alert.kind), str(alert.severity), True),
            now=self.clock.now(),
            update_id=update_id,
        )

    async def _simple_alert(
        self,
        chat_id: int,
        message: str,
        posted: _Posted,
        update_id: int | None,
    ) -> int:
        """An alert posted once, for information or an answer: never re-posted."""
        if update_id is not None and (done := await self.db.inbox_alert(update_id)) is not None:
            return done
        now = self.clock.now()
        return await self._create(chat_id, message, posted, now=now, update_id=update_id)

    async def forward_question(self, chat_id: int, message: str) -> int:
        """A question the FAQ could not answer, passed to staff at the patient's request.

        Answered, not acknowledged: never re-posted and it does not divert the patient.
        """
        return await self._simple_alert(chat_id, message, _QUESTION, None)

    async def note(self, chat_id: int, message: str, update_id: int | None = None) -> int:
        """A non-urgent symptom report: for the team's information, no alert."""
        return await self._simple_alert(chat_id, message, _NOTE, update_id)

    async def logistics(self, chat_id: int, message: str, update_id: int | None = None) -> int:
        """Cancel, late, move the appointment: a low-priority request for the team."""
        return await self._simple_alert(chat_id, message, _LOGISTICS, update_id)

    # --- staff actions ------------------------------------------------------------------

    async def acknowledge(self, alert_id: int, user_id: int, user_name: str) -> AckOutcome:
        won, row = await self.db.acknowledge_alert(alert_id, user_id, user_name, self.clock.now())
        if won and row is not None and row.kind not in (AlertKind.QUESTION, AlertKind.NOTE):
            await self._tell_patient(row, texts.ALERT_ACKNOWLEDGED, self.clock.now())
        return AckOutcome(won, row)

    async def _tell_patient(self, alert: Alert, notice: str, now: datetime) -> None:
        """What became of the patient's alert, with the line to call meanwhile."""
        await self.db.enqueue(
            chat_id=alert.chat_id,
            text=esc(texts.with_hotline(notice, self.settings.hotline_phone)),
            purpose="notice",
            patient_id=alert.patient_id,
            now=now,
        )

    async def close(self, alert_id: int) -> bool:
        return await self.db.close_alert(alert_id, self.clock.now())

    async def draft_reply(self, alert: Alert, author_id: int, text: str) -> tuple[int, Html]:
        """A staff reply held for confirmation: (draft id, the preview post)."""
        draft_id = await self.db.create_draft(alert.id, author_id, text, self.clock.now())
        chunks = self.patient_messages(text)

        def build(quoted: Html) -> Html:
            return html_format(
                texts.RELAY_PREVIEW,
                alert_id=alert.id,
                parts=len(chunks),
                message=quoted,
            )

        return draft_id, fit_quote(build, texts.STAFF_REPLY_TO_PATIENT.format(text=text))

    def patient_messages(self, staff_text: str) -> list[str]:
        """The staff text as the patient will get it: header first, split to fit Telegram."""
        return split_plain(texts.STAFF_REPLY_TO_PATIENT.format(text=staff_text))

    async def send_draft(
        self, draft_id: int, user_id: int, user_name: str
    ) -> tuple[Draft | None, bool]:
        """'Envoyer au patient': queue the reply (once, whoever presses).

        Answering the patient is taking charge: an open alert is acknowledged by the sender
        first (the patient then reads "un membre de l'équipe s'en occupe", then the reply).
        Returns (the draft or None, whether this acknowledged the alert).
        """
        draft = await self.db.settle_draft(draft_id, DraftStatus.SENT)
        if draft is None:
            return None, False
        alert = await self.db.alert(draft.alert_id)
        if alert is None:
            return None, False
        acked = False
        if alert.status == AlertState.OPEN:
            acked = (await self.acknowledge(alert.id, user_id, user_name)).won
        await self.relay(alert, draft.text)
        await self.db.touch(alert.id, self.clock.now())
        return draft, acked

    async def cancel_draft(self, draft_id: int) -> bool:
        return await self.db.settle_draft(draft_id, DraftStatus.CANCELLED) is not None

    async def relay(self, alert: Alert, staff_text: str) -> None:
        """A staff reply, sent to the patient by the bot (staff identities stay private)."""
        now = self.clock.now()
        for chunk in self.patient_messages(staff_text):
            await self.db.enqueue(
                chat_id=alert.chat_id,
                text=esc(chunk),
                purpose="relay",
                alert_id=alert.id,
                patient_id=alert.patient_id,
                now=now,
            )

    # --- the policy, run by the dispatcher's tick ----------------------------------------

    async def run_policy(self) -> None:
        await self.renotify_due()
        await self.page_oncall()
        await self.remind_acknowledged()
        await self.close_quiet()

    async def renotify_due(self) -> int:
        """Post again every open alert nobody acknowledged in time; returns how many."""
        now = self.clock.now()
        count = 0
        for alert in await self.db.due_renotifications(now, self.settings.escalation_max_renotify):
            minutes = int((now - alert.created_at).total_seconds() // 60)
            body = await self.db.alert_post_text(alert.id) or ""
            prefix = html_format(texts.STAFF_RENOTIFY_PREFIX, minutes=minutes)
            await self.db.record_renotification(
                alert.id,
                next_at=self._renotify_at(now),  # after the last one: when to page on-call
                staff_chat_id=self.staff_chat_id,
                text=prefix + body,
                buttons=ack_buttons(alert.id),
                priority=priority(str(alert.kind), str(alert.severity), True),
                now=now,
            )
            count += 1
        return count

    async def _each_claimed(
        self,
        alerts: list[Alert],
        claim: Callable[[Alert], Awaitable[bool]],
        act: Callable[[Alert], Awaitable[None]],
    ) -> int:
        """Act on each alert whose claim (a guarded update) this tick wins, claimed just before
        its action: another process, or this one after a crash, never acts twice on one
        alert, and one not yet reached stays unclaimed for the next tick. How many."""
        count = 0
        for alert in alerts:
            if await claim(alert):
                await act(alert)
                count += 1
        return count

    async def page_oncall(self) -> int:
        """Re-posts exhausted and nobody took it: on-call in private, and the patient told."""
        if self.settings.escalation_max_renotify <= 0:
            return 0
        now = self.clock.now()
        return await self._each_claimed(
            await self.db.unpaged_exhausted(now, DIVERTING, self.settings.escalation_max_renotify),
            lambda alert: self.db.mark_paged(alert.id, now),
            lambda alert: self._page(alert, now),
        )

    async def _page(self, alert: Alert, now: datetime) -> None:
        label, _ = await self._describe_patient(
            await self.db.patient(alert.patient_id) if alert.patient_id else None
        )
        minutes = int((now - alert.created_at).total_seconds() // 60)
        page = html_format(
            texts.ONCALL_PAGE,
            severity=self._heading(str(alert.kind), str(alert.severity)),
            label=label,
            alert_id=alert.id,
            minutes=minutes,
        )
        for user_id in sorted(self.settings.oncall_user_ids):
            await self.db.enqueue(
                chat_id=user_id, text=page, purpose="oncall", now=now, priority=60
            )
        await self.db.enqueue(
            chat_id=self.staff_chat_id,
            text=html_format(
                texts.STAFF_ESCALATED,
                alert_id=alert.id,
                n=len(self.settings.oncall_user_ids),
            ),
            purpose="notice",
            now=now,
            priority=60,
        )
        await self._tell_patient(alert, texts.ESCALATION_PATIENT_CALL, now)

    async def remind_acknowledged(self) -> int:
        """Taken but not closed after ACK_REMINDER_HOURS: one reminder in the thread."""
        now = self.clock.now()
        hours = self.settings.ack_reminder_hours
        return await self._each_claimed(
            await self.db.acknowledged_unclosed(now - timedelta(hours=hours)),
            lambda alert: self.db.mark_ack_reminded(alert.id, now),
            lambda alert: self._ack_reminder(alert, hours, now),
        )

    async def _ack_reminder(self, alert: Alert, hours: int, now: datetime) -> None:
        await self.db.add_to_thread(
            alert_id=alert.id,
            staff_chat_id=self.staff_chat_id,
            text=html_format(
                texts.STAFF_ACK_REMINDER,
                alert_id=alert.id,
                name=alert.acknowledged_by_name or "?",
                hours=hours,
            ),
            buttons=close_buttons(alert.id),
            priority=priority(str(alert.kind), str(alert.severity), True),
            now=now,
        )

    async def close_quiet(self) -> int:
        """Threads with no activity for ALERT_QUIET_HOURS close by themselves; patient told."""
        now = self.clock.now()
        hours = self.settings.alert_quiet_hours
        return await self._each_claimed(
            await self.db.quiet_alerts(now - timedelta(hours=hours)),
            lambda alert: self.db.close_alert(alert.id, now, AlertState.AUTO_CLOSED),
            lambda alert: self._auto_closed(alert, hours, now),
        )

    async def _auto_closed(self, alert: Alert, hours: int, now: datetime) -> None:
        await self.db.enqueue(
            chat_id=self.staff_chat_id,
            text=html_format(texts.STAFF_AUTO_CLOSED, alert_id=alert.id, hours=hours),
            purpose="followup",
            alert_id=alert.id,
            now=now,
        )
        if alert.kind in DIVERTING:
            await self._tell_patient(alert, texts.THREAD_CLOSED_PATIENT, now)
