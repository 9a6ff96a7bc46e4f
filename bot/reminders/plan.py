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

import difflib
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.texts import LOCALE, appointment_words, clock_time
from bot.yamlfile import CheckError, ContentError, LineDict, LineList, load_yaml

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

_FILE_KEYS = ("no_answer_alert_after", "steps")
_STEP_KEYS = (
    "id",
    "offset",
    "at",
    "kind",
    "text",
    "buttons",
    "scale",
    "alert_at_or_above",
    "alert_if_higher_than_previous",
    "expires_after",
    "note_if_unanswered",
)
_BUTTON_KEYS = ("label", "value", "alert")


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


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f" (vouliez-vous dire « {close[0]} » ?)"
    return " (clés possibles : " + ", ".join(known) + ")"


# --- Loading and checking ----------------------------------------------------------------------


class _Checker:
    """Collects every problem of one file, so an admin fixes them all in one pass."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.errors: list[CheckError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(CheckError(self.path, line, message))

    def sorted_errors(self) -> list[CheckError]:
        """In file order, so the admin reads them top to bottom (the sort is stable)."""
        return sorted(self.errors, key=lambda e: e.line)

    def unknown_keys(self, mapping: LineDict, known: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in known:
                self.error(
                    mapping.key_lines.get(key, mapping.line),
                    f"clé inconnue « {key} » {where}" + _suggest(key, known),
                )

    def plan(self, data: Any) -> Plan | None:
        if not isinstance(data, LineDict):
            line = data.line if isinstance(data, LineList) else 1
            self.error(
                line,
                "le fichier doit contenir « no_answer_alert_after » et la liste « steps » "
                "(voir l'en-tête du fichier livré)",
            )
            return None
        self.unknown_keys(data, _FILE_KEYS, "en tête de fichier")
        no_answer = DEFAULT_NO_ANSWER_ALERT
        if "no_answer_alert_after" in data:
            try:
                no_answer = parse_duration(data["no_answer_alert_after"])
            except ValueError as exc:
                self.error(
                    data.key_lines["no_answer_alert_after"], f"no_answer_alert_after : {exc}"
                )
        raw_steps = data.get("steps")
        if "steps" not in data:
            self.error(data.line, "liste « steps » manquante")
            return None
        if raw_steps is None:
            raw_steps = LineList()  # "steps:" left empty: a plan with no message is allowed
            raw_steps.item_lines = []
        if not isinstance(raw_steps, LineList):
            self.error(
                data.key_lines["steps"], "« steps » doit être une liste d'étapes (- id: ...)"
            )
            return None
        steps: list[Step] = []
        seen: dict[str, int] = {}
        for raw, line in zip(raw_steps, raw_steps.item_lines, strict=True):
            step = self.step(raw, line)
            if isinstance(raw, LineDict) and isinstance(raw.get("id"), str):
                step_id = raw["id"]
                id_line = raw.key_lines["id"]
                if step_id in seen:
                    self.error(
                        id_line, f"identifiant « {step_id} » déjà utilisé ligne {seen[step_id]}"
                    )
                else:
                    seen[step_id] = id_line
            if step is not None:
                steps.append(step)
        if self.errors:
            return None
        return Plan(tuple(steps), no_answer, self.path)

    def step(self, raw: Any, line: int) -> Step | None:
        if not isinstance(raw, LineDict):
            self.error(line, "chaque étape est un bloc de clés (id, offset, kind, text…)")
            return None
        before = len(self.errors)

        def at_key(key: str) -> int:
            return raw.key_lines.get(key, raw.line)

        self.unknown_keys(raw, _STEP_KEYS, "dans l'étape")
        for key in ("id", "offset", "kind", "text"):
            if key not in raw:
                self.error(raw.line, f"champ obligatoire « {key} » manquant")

        step_id = raw.get("id")
        if "id" in raw and not (
            isinstance(step_id, str)
            and _SLUG_RE.fullmatch(step_id)
            and len(step_id) <= MAX_ID_CHARS
        ):
            self.error(
                at_key("id"),
                f"identifiant « {step_id} » invalide : lettres minuscules sans accent, chiffres "
                f"et _ seulement, {MAX_ID_CHARS} caractères au plus",
            )

        kind = raw.get("kind")
        if "kind" in raw and kind not in ("reminder", "checkin"):
            self.error(at_key("kind"), f"kind « {kind} » invalide : reminder ou checkin")

        amount, unit = 0, ""
        if "offset" in raw:
            try:
                amount, unit = parse_offset(raw["offset"])
            except ValueError as exc:
                self.error(at_key("offset"), str(exc))
            else:
                if timedelta(seconds=abs(amount) * _UNIT_SECONDS[unit]) > MAX_SPAN:
                    self.error(at_key("offset"), "décalage trop grand (un an au plus)")

        at: time | None = None
        if "at" in raw:
            try:
                at = _parse_at(raw["at"])
            except ValueError as exc:
                self.error(at_key("at"), str(exc))
            if unit in ("s", "m", "h"):
                self.error(
                    at_key("at"),
                    "« at » n'est possible qu'avec un décalage en jours (d) ou en semaines (w) ; "
                    f"avec « {raw['offset']} », l'heure découle déjà de celle de l'intervention",
                )
        if unit and amount == 0 and (unit in ("s", "m", "h") or "at" not in raw):
            # Zero would put the message at the very minute of the procedure.
            self.error(
                at_key("offset"),
                "décalage nul : le message partirait à l'heure même de l'intervention ; "
                'pour le jour J à une heure donnée, écrivez offset: 0d avec at: "HH:MM"',
            )

        text = raw.get("text")
        if "text" in raw:
            if not isinstance(text, str) or not text.strip():
                self.error(at_key("text"), "« text » doit être un texte non vide")
            else:
                if len(text.strip()) > MAX_TEXT_CHARS:
                    self.error(
                        at_key("text"),
                        f"texte trop long ({len(text.strip())} caractères, "
                        f"{MAX_TEXT_CHARS} au plus)",
                    )
                for problem in _placeholder_problems(text):
                    self.error(at_key("text"), problem)

        buttons = self.buttons(raw) if "buttons" in raw else ()
        scale = self.scale(raw) if "scale" in raw else None
        alert_at = raw.get("alert_at_or_above")
        higher = raw.get("alert_if_higher_than_previous", False)
        if "alert_at_or_above" in raw:
            if not isinstance(alert_at, int) or isinstance(alert_at, bool):
                self.error(at_key("alert_at_or_above"), "alert_at_or_above doit être un entier")
                alert_at = None
            elif "scale" not in raw:
                self.error(at_key("alert_at_or_above"), "alert_at_or_above demande une « scale »")
            elif scale is not None and not scale[0] <= alert_at <= scale[1]:
                self.error(
                    at_key("alert_at_or_above"),
                    f"alert_at_or_above ({alert_at}) hors de l'échelle {scale[0]}..{scale[1]}",
                )
        if "alert_if_higher_than_previous" in raw:
            if not isinstance(higher, bool):
                self.error(
                    at_key("alert_if_higher_than_previous"),
                    "alert_if_higher_than_previous vaut true ou false",
                )
                higher = False
            elif "scale" not in raw:
                self.error(
                    at_key("alert_if_higher_than_previous"),
                    "alert_if_higher_than_previous demande une « scale »",
                )

        if kind == "checkin" and "buttons" not in raw and "scale" not in raw:
            self.error(
                raw.line,
                "un check-in (kind: checkin) doit proposer des réponses : « buttons » ou « scale »",
            )
        if kind == "checkin" and "buttons" in raw and "scale" in raw:
            self.error(at_key("scale"), "choisissez « buttons » ou « scale », pas les deux")
        if kind == "reminder":
            for key in ("buttons", "scale", "alert_at_or_above", "alert_if_higher_than_previous"):
                if key in raw:
                    self.error(
                        at_key(key),
                        f"« {key} » est réservé aux check-ins : un rappel (kind: reminder) "
                        "n'attend pas de réponse",
                    )

        chase = raw.get("note_if_unanswered", True)
        if "note_if_unanswered" in raw:
            if not isinstance(chase, bool):
                self.error(at_key("note_if_unanswered"), "note_if_unanswered vaut true ou false")
            elif kind != "checkin":
                self.error(
                    at_key("note_if_unanswered"),
                    "« note_if_unanswered » est réservé aux check-ins",
                )

        expires_after: timedelta | None = None
        if "expires_after" in raw:
            try:
                expires_after = parse_duration(raw["expires_after"])
            except ValueError as exc:
                self.error(at_key("expires_after"), f"expires_after : {exc}")

        if len(self.errors) > before:
            return None
        # Every value below was validated above; the asserts only narrow types for mypy.
        assert isinstance(step_id, str) and isinstance(text, str)
        assert kind == "reminder" or kind == "checkin"
        is_days = unit in ("d", "w")
        return Step(
            id=step_id,
            offset=None if is_days else timedelta(seconds=amount * _UNIT_SECONDS[unit]),
            days=amount * (7 if unit == "w" else 1) if is_days else None,
            at=at,
            kind=kind,
            text=text.strip(),
            buttons=buttons,
            scale=scale,
            alert_at_or_above=alert_at if isinstance(alert_at, int) else None,
            alert_if_higher_than_previous=bool(higher),
            expires_after=expires_after,
            line=raw.line,
            note_if_unanswered=chase is not False,
        )

    def buttons(self, raw: LineDict) -> tuple[CheckinButton, ...]:
        items = raw["buttons"]
        line = raw.key_lines["buttons"]
        if not isinstance(items, LineList) or not items:
            self.error(line, "« buttons » doit être une liste non vide de {label, value}")
            return ()
        if len(items) > MAX_BUTTONS:
            self.error(line, f"trop de boutons ({len(items)}, {MAX_BUTTONS} au plus)")
        result: list[CheckinButton] = []
        seen: dict[str, int] = {}
        for item, item_line in zip(items, items.item_lines, strict=True):
            if not isinstance(item, LineDict):
                self.error(item_line, 'chaque bouton s\'écrit {label: "Bien", value: bien}')
                continue

            def at_key(key: str, item: LineDict = item) -> int:
                return item.key_lines.get(key, item.line)

            before = len(self.errors)
            self.unknown_keys(item, _BUTTON_KEYS, "dans le bouton")
            label, value, alert = item.get("label"), item.get("value"), item.get("alert", False)
            if not isinstance(label, str) or not label.strip():
                self.error(at_key("label"), "bouton sans « label » (le texte affiché)")
            elif len(label.strip()) > MAX_LABEL_CHARS:
                self.error(
                    at_key("label"), f"label trop long ({MAX_LABEL_CHARS} caractères au plus)"
                )
            if not (
                isinstance(value, str)
                and _SLUG_RE.fullmatch(value)
                and len(value) <= MAX_VALUE_CHARS
            ):
                self.error(
                    at_key("value"),
                    f"value « {value} » invalide : lettres minuscules sans accent, chiffres et _ "
                    f"seulement, {MAX_VALUE_CHARS} caractères au plus",
                )
            elif value in seen:
                self.error(at_key("value"), f"value « {value} » déjà utilisée ligne {seen[value]}")
            else:
                seen[value] = at_key("value")
            if not isinstance(alert, bool) and alert != "note":
                self.error(
                    at_key("alert"),
                    "alert vaut true (alerte), false, ou note (transmis à l'équipe, non urgent)",
                )
            if len(self.errors) == before:
                assert isinstance(label, str) and isinstance(value, str)
                result.append(CheckinButton(label.strip(), value, alert is True, alert == "note"))
        return tuple(result)

    def scale(self, raw: LineDict) -> tuple[int, int] | None:
        bounds = raw["scale"]
        line = raw.key_lines["scale"]
        if not (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        ):
            self.error(line, "« scale » s'écrit [minimum, maximum], ex. [0, 10]")
            return None
        low, high = bounds
        if not 0 <= low < high or high - low > MAX_SCALE_SPAN:
            self.error(
                line,
                f"échelle [{low}, {high}] invalide : 0 <= minimum < maximum, "
                f"{MAX_SCALE_SPAN + 1} valeurs au plus",
            )
            return None
        return (low, high)


def check_plan(path: Path) -> list[CheckError]:
    """Every problem of the plan file, each as ``file:line: message`` (empty when usable)."""
    try:
        data = load_yaml(path)
    except ContentError as exc:
        return list(exc.errors)
    checker = _Checker(path)
    checker.plan(data)
    return checker.sorted_errors()


def load_plan(path: Path) -> Plan:
    """The plan, or ContentError listing all problems (a broken file never goes live)."""
    data = load_yaml(path)
    checker = _Checker(path)
    plan = checker.plan(data)
    if plan is None or checker.errors:
        raise ContentError(checker.sorted_errors())
    return plan


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
