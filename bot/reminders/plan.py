"""The reminder and check-in plan (``data/reminders.yaml``), and when each step is due.

Pure functions over plain data: the caller passes the appointment, the time zone and "now",
so a reminder due in three days or a DST change is tested in microseconds.

Time rules (the "why" of each is in the function docstrings):

- ``s``/``m``/``h`` offsets are exact elapsed time from the appointment instant: ``-2h`` is
  two real hours before, even across a daylight-saving change.
- ``d``/``w`` offsets move the *local calendar day* (hospital time zone). With ``at`` the step
  is due at that wall-clock time on that day; without ``at`` at the appointment's own wall-clock
  time. So "J+1 at 10:00" is 10:00 in Paris on both sides of a DST change.
- A step is sendable while ``due <= now < expires_at``; after its expiry it is missed, never sent
  late (RapidPro: "we never fire events from the past"). A step due before the appointment
  always expires at the appointment at the latest: a pre-procedure message must never arrive
  after the procedure.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from pydantic import (
    Field,
    PlainValidator,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from bot.schema import Model, fault, line_of, note_repeats, validate
from bot.texts import LOCALE, appointment_words, clock_time
from bot.yamlfile import ContentError, load_yaml

Kind = Literal["reminder", "checkin"]

PLACEHOLDERS = ("date", "jour", "heure", "hotline")
MAX_TEXT_CHARS = 3500  # Telegram allows 4096; leave room for filled placeholders and a footer.
MAX_ID_CHARS = 32  # step id and button value travel together in 64-byte callback_data.
MAX_VALUE_CHARS = 20
MAX_LABEL_CHARS = 40  # longer labels get cut on phone screens.
MAX_BUTTONS = 10
MAX_SCALE_SPAN = 20  # 21 buttons at most; 0..10 is 11.
MAX_SPAN = timedelta(days=366)  # bounds offsets and durations (and keeps timedelta in range).
DEFAULT_CHECKIN_EXPIRY = timedelta(hours=24)
DEFAULT_NO_ANSWER_ALERT = timedelta(hours=24)

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_OFFSET_RE = re.compile(r"([+-]?)(\d{1,6})([smhdw])")
_DURATION_RE = re.compile(r"(\d{1,6})([smhdw])")
_AT_RE = re.compile(r"(\d{1,2}):(\d{2})")
_SLUG_RE = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class CheckinButton:
    label: str
    value: str
    alert: bool  # a worrying answer: it must reach staff as an alert
    # Not worrying, but the team should know (J+30 "no improvement"): a non-urgent note.
    note: bool = False


@dataclass(frozen=True)
class Step:
    """One message of the plan. Exactly one of ``offset`` (s/m/h) and ``days`` (d/w) is set."""

    id: str
    offset: timedelta | None
    days: int | None
    at: time | None
    kind: Kind
    text: str
    buttons: tuple[CheckinButton, ...]
    scale: tuple[int, int] | None
    alert_at_or_above: int | None
    alert_if_higher_than_previous: bool
    expires_after: timedelta | None
    line: int
    # A check-in nobody needs to chase (a baseline score): no staff note when unanswered.
    note_if_unanswered: bool = True


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    no_answer_alert_after: timedelta
    path: str

    def get(self, step_id: str) -> Step | None:
        """The step with this id, or None: a stored row may outlive a step removed from the file."""
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class PlannedStep:
    """One step placed on the calendar of one appointment."""

    step: Step
    due_at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC; never sent at or after this instant
    missed: bool  # already expired when planned: record it, never send it


# --- Parsing small values ----------------------------------------------------------------------


def parse_offset(text: str) -> tuple[int, str]:
    """``"-7d"`` -> ``(-7, "d")``. The sign is required unless the value is zero.

    Why required: "7d" could be a week before or a week after; for a pre-procedure reminder the
    wrong guess sends it after the procedure. A typo must fail the check, not guess.
    """
    if not isinstance(text, str):
        raise ValueError(
            f"décalage « {text} » invalide : écrivez un nombre signé suivi d'une unité "
            "(s, m, h, d ou w), ex. -7d, -2h, +1d"
        )
    match = _OFFSET_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"décalage « {text} » invalide : écrivez un nombre signé suivi d'une unité "
            "(s, m, h, d ou w), ex. -7d, -2h, +1d"
        )
    sign, digits, unit = match.groups()
    value = int(digits)
    if value != 0 and not sign:
        raise ValueError(
            f"décalage « {text} » sans signe : écrivez -{value}{unit} (avant l'intervention) "
            f"ou +{value}{unit} (après)"
        )
    return (-value if sign == "-" else value, unit)


def parse_duration(text: str) -> timedelta:
    """``"24h"`` -> 24 hours. A positive number and a unit (s, m, h, d, w); exact elapsed time."""
    match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"durée « {text} » invalide : écrivez un nombre suivi d'une unité "
            '(s, m, h, d ou w), entre guillemets, ex. "24h", "90m", "2d"'
        )
    value, unit = int(match.group(1)), match.group(2)
    if value == 0:
        raise ValueError(f"durée « {text} » nulle : elle doit être positive")
    duration = timedelta(seconds=value * _UNIT_SECONDS[unit])
    if duration > MAX_SPAN:
        raise ValueError(f"durée « {text} » trop longue (un an au plus)")
    return duration


def _parse_at(raw: Any) -> time:
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads an unquoted 10:00 as the base-60 number 600.
        raise ValueError('heure à écrire entre guillemets, ex. at: "10:00"')
    match = _AT_RE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise ValueError(f'heure « {raw} » invalide : attendu HH:MM entre guillemets, ex. "10:00"')
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"heure « {raw} » invalide : de 00:00 à 23:59")
    return time(hour, minute)


def _placeholder_problems(text: str) -> list[str]:
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text)]
    except ValueError:
        return [
            "accolade { ou } isolée dans le texte : les variables s'écrivent {date}, {jour}, "
            "{heure}, {hotline} ; pour une accolade seule, doublez-la ({{ ou }})"
        ]
    allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    problems = []
    for field, spec, conv in fields:
        if field is not None and (field not in PLACEHOLDERS or spec or conv):
            shown = field + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
            problems.append(f"variable inconnue « {{{shown}}} » : seules {allowed} sont possibles")
    return problems


# --- What a valid plan file is ----------------------------------------------------------------

_NOT_CHECKED = object()  # info.data lacks a field whose own validation failed


def _given(info: ValidationInfo, key: str) -> bool:
    """Whether the step has this key (written but invalid counts: it is reported already)."""
    return info.data.get(key, _NOT_CHECKED) is not None


def _slug(value: object, what: str, limit: int) -> str:
    if isinstance(value, str) and _SLUG_RE.fullmatch(value) and len(value) <= limit:
        return value
    raise fault(
        f"{what} « {value} » invalide : lettres minuscules sans accent, chiffres "
        f"et _ seulement, {limit} caractères au plus"
    )


def _duration(value: object, info: ValidationInfo) -> timedelta:
    try:
        return parse_duration(value)  # type: ignore[arg-type]  # refused when not a str
    except ValueError as exc:
        raise fault(f"{info.field_name} : {exc}") from None


def _reserved_to_checkins(info: ValidationInfo) -> None:
    if info.data.get("kind") == "reminder":
        raise fault(
            f"« {info.field_name} » est réservé aux check-ins : un rappel (kind: reminder) "
            "n'attend pas de réponse"
        )


def _needs_scale(info: ValidationInfo) -> None:
    if not _given(info, "scale"):
        raise fault(f"{info.field_name} demande une « scale »")


Duration = Annotated[timedelta, PlainValidator(_duration)]


def _alert_flag(value: object) -> bool | str:
    if isinstance(value, bool) or value == "note":
        return value
    raise fault("alert vaut true (alerte), false, ou note (transmis à l'équipe, non urgent)")


def _trimmed(value: str, limit: int, empty: str, too_long: str) -> str:
    """The text without its outer blanks; refused when nothing is left or it is longer than
    ``limit`` (``too_long`` may name ``{length}`` and ``{limit}``)."""
    text = value.strip()
    if not text:
        raise fault(empty)
    if len(text) > limit:
        raise fault(too_long.format(length=len(text), limit=limit))
    return text


class _Button(Model):
    label: str
    value: Annotated[str, PlainValidator(lambda v: _slug(v, "value", MAX_VALUE_CHARS))]
    alert: Annotated[bool | str, PlainValidator(_alert_flag)] = False

    @field_validator("label")
    @classmethod
    def _label(cls, label: str) -> str:
        return _trimmed(
            label,
            MAX_LABEL_CHARS,
            "bouton sans « label » (le texte affiché)",
            "label trop long ({limit} caractères au plus)",
        )


def _at(value: object) -> time:
    try:
        return _parse_at(value)
    except ValueError as exc:
        raise fault(str(exc)) from None


def _scale(value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(b, int) and not isinstance(b, bool) for b in value)
    ):
        raise fault("« scale » s'écrit [minimum, maximum], ex. [0, 10]")
    low, high = value
    if not 0 <= low < high or high - low > MAX_SCALE_SPAN:
        raise fault(
            f"échelle [{low}, {high}] invalide : 0 <= minimum < maximum, "
            f"{MAX_SCALE_SPAN + 1} valeurs au plus"
        )
    return (low, high)


class _Step(Model):
    # Field order matters: a validator sees, in info.data, the fields declared before it.
    id: Annotated[str, PlainValidator(lambda v: _slug(v, "identifiant", MAX_ID_CHARS))]
    kind: Kind
    at: Annotated[time | None, PlainValidator(_at)] = None
    offset: tuple[int, str]
    text: str
    expires_after: Duration | None = None
    buttons: Annotated[list[_Button] | None, Field(min_length=1, max_length=MAX_BUTTONS)] = None
    scale: Annotated[tuple[int, int] | None, PlainValidator(_scale)] = Field(
        default=None, validate_default=True
    )
    alert_at_or_above: int | None = None
    alert_if_higher_than_previous: bool = False
    note_if_unanswered: bool = True

    @field_validator("offset", mode="plain")
    @classmethod
    def _offset(cls, value: object, info: ValidationInfo) -> tuple[int, str]:
        try:
            amount, unit = parse_offset(value)  # type: ignore[arg-type]  # refused unless str
        except ValueError as exc:
            raise fault(str(exc)) from None
        if timedelta(seconds=abs(amount) * _UNIT_SECONDS[unit]) > MAX_SPAN:
            raise fault("décalage trop grand (un an au plus)")
        if amount == 0 and (unit in ("s", "m", "h") or not _given(info, "at")):
            # Zero would put the message at the very minute of the procedure.
            raise fault(
                "décalage nul : le message partirait à l'heure même de l'intervention ; "
                'pour le jour J à une heure donnée, écrivez offset: 0d avec at: "HH:MM"'
            )
        if unit in ("s", "m", "h") and _given(info, "at"):
            raise fault(
                "« at » n'est possible qu'avec un décalage en jours (d) ou en semaines (w) ; "
                f"avec « {value} », l'heure découle déjà de celle de l'intervention",
                at=("at",),
            )
        return amount, unit

    @field_validator("text")
    @classmethod
    def _text(cls, text: str) -> str:
        trimmed = _trimmed(
            text,
            MAX_TEXT_CHARS,
            "« text » doit être un texte non vide",
            "texte trop long ({length} caractères, {limit} au plus)",
        )
        problems = _placeholder_problems(text)
        if problems:
            raise fault(" ; ".join(problems))
        return trimmed

    @field_validator("buttons", mode="wrap")
    @classmethod
    def _buttons(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[_Button] | None:
        _reserved_to_checkins(info)
        if not isinstance(value, list) or not value:
            raise fault("« buttons » doit être une liste non vide de {label, value}")
        buttons: list[_Button] = handler(value)
        seen: dict[str, int] = {}
        for i, button in enumerate(buttons):
            if button.value in seen:
                raise fault(
                    f"value « {button.value} » déjà utilisée ligne {{ligne}}",
                    at=("buttons", i, "value"),
                    ref=("buttons", seen[button.value], "value"),
                )
            seen[button.value] = i
        return buttons

    @field_validator("scale")
    @classmethod
    def _scale_fits_kind(
        cls, scale: tuple[int, int] | None, info: ValidationInfo
    ) -> tuple[int, int] | None:
        if scale is not None:
            _reserved_to_checkins(info)
            if info.data.get("kind") == "checkin" and _given(info, "buttons"):
                raise fault("choisissez « buttons » ou « scale », pas les deux")
        elif info.data.get("kind") == "checkin" and not _given(info, "buttons"):
            # No scale key: reported on the step's own line.
            raise fault(
                "un check-in (kind: checkin) doit proposer des réponses : « buttons » ou « scale »"
            )
        return scale

    @field_validator("alert_at_or_above")
    @classmethod
    def _alert_at(cls, alert_at: int | None, info: ValidationInfo) -> int | None:
        _reserved_to_checkins(info)
        _needs_scale(info)
        scale = info.data.get("scale")
        if alert_at is not None and scale is not None and not scale[0] <= alert_at <= scale[1]:
            raise fault(f"alert_at_or_above ({alert_at}) hors de l'échelle {scale[0]}..{scale[1]}")
        return alert_at

    @field_validator("alert_if_higher_than_previous")
    @classmethod
    def _higher(cls, higher: bool, info: ValidationInfo) -> bool:
        _reserved_to_checkins(info)
        _needs_scale(info)
        return higher

    @field_validator("note_if_unanswered")
    @classmethod
    def _chase(cls, chase: bool, info: ValidationInfo) -> bool:
        if info.data.get("kind", "checkin") != "checkin":
            raise fault("« note_if_unanswered » est réservé aux check-ins")
        return chase

    def to_step(self, line: int) -> Step:
        amount, unit = self.offset
        is_days = unit in ("d", "w")
        return Step(
            id=self.id,
            offset=None if is_days else timedelta(seconds=amount * _UNIT_SECONDS[unit]),
            days=amount * (7 if unit == "w" else 1) if is_days else None,
            at=self.at,
            kind=self.kind,
            text=self.text,
            buttons=tuple(
                CheckinButton(b.label, b.value, b.alert is True, b.alert == "note")
                for b in self.buttons or ()
            ),
            scale=self.scale,
            alert_at_or_above=self.alert_at_or_above,
            alert_if_higher_than_previous=self.alert_if_higher_than_previous,
            expires_after=self.expires_after,
            line=line,
            note_if_unanswered=self.note_if_unanswered,
        )


class _PlanFile(Model):
    no_answer_alert_after: Duration = DEFAULT_NO_ANSWER_ALERT
    steps: list[_Step] | None  # "steps:" left empty: a plan with no message is allowed

    @field_validator("steps", mode="before")
    @classmethod
    def _unique_ids(cls, steps: object, info: ValidationInfo) -> object:
        # Before the steps' own validation, so a duplicate is reported even beside their errors.
        note_repeats(
            info, steps, ("steps",), "id", "identifiant « {id} » déjà utilisé ligne {ligne}"
        )
        return steps


def load_plan(path: Path) -> Plan:
    """The plan, or ContentError listing all problems (a broken file never goes live)."""
    data = load_yaml(path)
    model, errors = validate(_PlanFile, data, str(path))
    if model is None or errors:
        raise ContentError(errors)
    steps = tuple(
        step.to_step(line_of(data, ("steps", i))) for i, step in enumerate(model.steps or ())
    )
    return Plan(steps, model.no_answer_alert_after, str(path))


# --- Time ------------------------------------------------------------------------------------


def _require_aware(when: datetime, name: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def due_time(step: Step, appointment: datetime, tz: ZoneInfo) -> datetime:
    """When the step is due, as an aware UTC datetime.

    ``d``/``w`` steps are computed on local wall time, then converted, so 10:00 stays 10:00 in
    the hospital's zone across DST changes. A wall time that does not exist (spring-forward gap,
    e.g. 02:30 on 2026-03-29 in Paris) is built with fold=0, i.e. read with the offset in force
    before the change: it lands *after* the gap by its length (02:30 -> 03:30 CEST). A wall time
    that happens twice (autumn, 02:30 on 2026-10-25) is its first occurrence (fold=0, CEST).
    ``s``/``m``/``h`` steps are exact elapsed time: "-2h" is 7200 real seconds before.
    """
    _require_aware(appointment, "appointment")
    if step.offset is not None:
        return appointment.astimezone(UTC) + step.offset
    assert step.days is not None
    local = appointment.astimezone(tz)
    # Naive arithmetic on the wall time moves calendar days, not multiples of 24 hours.
    wall = local.replace(tzinfo=None, fold=0) + timedelta(days=step.days)
    if step.at is not None:
        wall = datetime.combine(wall.date(), step.at)
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def expires_at(step: Step, appointment: datetime, tz: ZoneInfo) -> datetime:
    """After this instant a step not yet sent is missed: it is never sent late.

    A step due before the appointment (reminder or check-in) expires at the appointment, or
    earlier if ``expires_after`` says so: nothing written for "before" may arrive "after".
    Any other step expires ``expires_after`` after its due time (24 h by default).
    """
    due = due_time(step, appointment, tz)
    start = appointment.astimezone(UTC)
    if due < start:
        if step.expires_after is None:
            return start
        return min(due + step.expires_after, start)
    return due + (step.expires_after or DEFAULT_CHECKIN_EXPIRY)


def plan_for(plan: Plan, appointment: datetime, tz: ZoneInfo, now: datetime) -> list[PlannedStep]:
    """Every step of the plan on this appointment's calendar, in due order.

    A step whose expiry has passed at planning time (late enrolment, rescheduling to a near
    date) is marked ``missed``: the caller records it and never sends it. A step already due but
    not yet expired stays pending, so it goes out at the next dispatch.
    """
    _require_aware(now, "now")
    planned = []
    for step in plan.steps:
        due = due_time(step, appointment, tz)
        end = expires_at(step, appointment, tz)
        planned.append(PlannedStep(step, due, end, missed=end <= now))
    planned.sort(key=lambda p: p.due_at)  # stable: same due time keeps file order
    return planned


# --- What the patient sees -------------------------------------------------------------------


def render_text(step: Step, appointment: datetime, tz: ZoneInfo, hotline: str) -> str:
    """The step's text with {date}, {jour}, {heure} and {hotline} filled, in French."""
    _require_aware(appointment, "appointment")
    return step.text.format(
        date=appointment_words(appointment, tz),
        jour=format_datetime(appointment.astimezone(tz), "EEEE d MMMM", locale=LOCALE),
        heure=clock_time(appointment, tz),
        hotline=hotline,
    )


def checkin_buttons(step: Step) -> list[tuple[str, str]]:
    """(label, value) of every answer button, scale values included ("0".."10")."""
    if step.scale is not None:
        low, high = step.scale
        return [(str(n), str(n)) for n in range(low, high + 1)]
    return [(b.label, b.value) for b in step.buttons]


def scale_score(step: Step, value: str) -> int | None:
    """The score a scale answer stands for, or None when it is not a value of this scale."""
    if step.scale is None or not value.isascii() or not value.isdigit():
        return None
    score = int(value)
    return score if step.scale[0] <= score <= step.scale[1] else None


def is_note(step: Step, value: str) -> bool:
    """Whether this answer goes to staff as a non-urgent note (a button ``alert: note``)."""
    return any(b.note for b in step.buttons if b.value == value)


def is_worrying(step: Step, value: str, previous_score: int | None) -> bool:
    """Whether this answer must reach staff.

    A button flagged ``alert``; or, on a scale, a score at or above ``alert_at_or_above``, or
    higher than the patient's previous score when ``alert_if_higher_than_previous`` is set.
    A value the step does not offer (a stale button) is not worrying by itself.
    """
    if step.scale is None:
        return any(b.alert for b in step.buttons if b.value == value)
    score = scale_score(step, value)
    if score is None:
        return False
    if step.alert_at_or_above is not None and score >= step.alert_at_or_above:
        return True
    return (
        step.alert_if_higher_than_previous and previous_score is not None and score > previous_score
    )
