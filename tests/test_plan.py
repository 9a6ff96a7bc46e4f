"""The reminder plan: file checks, due times (DST included), expiry, texts and alerts.

Plain functions over plain data: no event loop, no clock, no sleeping.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import PROJECT_ROOT
from bot.reminders.plan import (
    CheckinButton,
    Plan,
    Step,
    checkin_buttons,
    due_time,
    expires_at,
    is_note,
    is_worrying,
    load_plan,
    parse_duration,
    parse_offset,
    plan_for,
    render_text,
)
from bot.yamlfile import ContentError
from tests.helpers import problems

PARIS = ZoneInfo("Europe/Paris")
SHIPPED = PROJECT_ROOT / "data" / "reminders.yaml"
HOTLINE = "01 46 41 00 00"
APPOINTMENT = datetime(2026, 12, 7, 9, 30, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def step(
    offset: str = "+1d",
    at: str | None = "10:00",
    kind: str = "checkin",
    expires_after: timedelta | None = None,
) -> Step:
    """A step built the way the loader builds it, for time rules that need no file."""
    amount, unit = parse_offset(offset)
    is_days = unit in ("d", "w")
    seconds = {"s": 1, "m": 60, "h": 3600}.get(unit, 0)
    hour, minute = (int(x) for x in at.split(":")) if at else (0, 0)
    return Step(
        id="s",
        offset=None if is_days else timedelta(seconds=amount * seconds),
        days=amount * (7 if unit == "w" else 1) if is_days else None,
        at=time(hour, minute) if at else None,
        kind="checkin" if kind == "checkin" else "reminder",
        text="Bonjour",
        buttons=(CheckinButton("Bien", "bien", False),),
        scale=None,
        alert_at_or_above=None,
        alert_if_higher_than_previous=False,
        expires_after=expires_after,
        line=1,
    )


@pytest.fixture(scope="module")
def shipped() -> Plan:
    return load_plan(SHIPPED)


# --- The shipped plan ------------------------------------------------------------------------


def test_shipped_plan_passes_check(shipped: Plan) -> None:
    assert problems(load_plan, SHIPPED) == []
    assert [s.id for s in shipped.steps] == [
        "rappel_j_moins_7",
        "rappel_veille",
        "suivi_j_plus_1",
        "douleur_j_plus_7",
        "resultat_j_plus_30",
    ]
    assert [(s.days, s.at) for s in shipped.steps] == [
        (-7, time(10)),
        (-1, time(18)),
        (1, time(10)),
        (7, time(10)),
        (30, time(10)),
    ]
    assert shipped.no_answer_alert_after == timedelta(hours=24)
    j7 = shipped.get("douleur_j_plus_7")
    assert j7 is not None and j7.scale == (0, 10) and j7.alert_at_or_above == 7
    assert j7.alert_if_higher_than_previous
    j1 = shipped.get("suivi_j_plus_1")
    assert j1 is not None and [b.value for b in j1.buttons if b.alert] == ["pas_bien"]
    assert shipped.get("nope") is None


def test_shipped_reminders_carry_no_health_words(shipped: Plan) -> None:
    # Like Doctolib: a reminder read over a shoulder reveals an appointment, not a condition.
    for s in shipped.steps:
        if s.kind == "reminder":
            lowered = s.text.lower()
            for word in ("botox", "toxine", "releveur", "anus", "anal", "douleur", "syndrome"):
                assert word not in lowered, (s.id, word)


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-7d", (-7, "d")),
        ("+1d", (1, "d")),
        ("-2h", (-2, "h")),
        ("+90s", (90, "s")),
        ("-30m", (-30, "m")),
        ("+2w", (2, "w")),
        ("0d", (0, "d")),
        ("0h", (0, "h")),
        (" -1d ", (-1, "d")),
    ],
)
def test_parse_offset_accepts(text: str, expected: tuple[int, str]) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize(
    "text",
    ["7d", "1h", "-7", "d", "-7x", "-7 d", "- 7d", "-7D", "-1.5d", "+-1d", "", "-1234567d", "--1d"],
)
def test_parse_offset_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_offset(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(days=7)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0h", "-1h", "+1h", "24", "h", "1.5h", "400d", "24 h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# --- Due times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "at", "appointment", "expected_utc", "expected_local"),
    [
        # J-1 at 18:00 for Monday 7 December 2026 09:30 (CET, UTC+1).
        ("-1d", "18:00", APPOINTMENT, utc(2026, 12, 6, 17), paris(2026, 12, 6, 18)),
        ("-7d", "10:00", APPOINTMENT, utc(2026, 11, 30, 9), paris(2026, 11, 30, 10)),
        ("-1w", "10:00", APPOINTMENT, utc(2026, 11, 30, 9), paris(2026, 11, 30, 10)),
        # The local calendar day counts, not the UTC one: 00:30 Paris is still 6 December in UTC.
        (
            "-1d",
            "18:00",
            utc(2026, 12, 6, 23, 30),
            utc(2026, 12, 6, 17),
            paris(2026, 12, 6, 18),
        ),
        # Spring forward (2026-03-29): 10:00 stays 10:00 local, now UTC+2.
        ("+1d", "10:00", paris(2026, 3, 28, 9), utc(2026, 3, 29, 8), paris(2026, 3, 29, 10)),
        # Fall back (2026-10-25): 10:00 stays 10:00 local, now UTC+1.
        ("+1d", "10:00", paris(2026, 10, 24, 9), utc(2026, 10, 25, 9), paris(2026, 10, 25, 10)),
        # Without `at`: same wall time as the appointment, a calendar day later (23 h elapsed).
        ("+1d", None, paris(2026, 3, 28, 9), utc(2026, 3, 29, 7), paris(2026, 3, 29, 9)),
        ("+1d", None, paris(2026, 10, 24, 9), utc(2026, 10, 25, 8), paris(2026, 10, 25, 9)),
        # `at` in the spring-forward gap: read with the offset before the change (fold=0), so
        # 02:30 (nonexistent) lands one hour later, at 03:30 CEST.
        ("+1d", "02:30", paris(2026, 3, 28, 9), utc(2026, 3, 29, 1, 30), paris(2026, 3, 29, 3, 30)),
        # `at` in the repeated autumn hour: the first occurrence (CEST).
        (
            "+1d",
            "02:30",
            paris(2026, 10, 24, 9),
            utc(2026, 10, 25, 0, 30),
            paris(2026, 10, 25, 2, 30),
        ),
        # The appointment day itself at a fixed hour.
        ("0d", "07:00", APPOINTMENT, utc(2026, 12, 7, 6), paris(2026, 12, 7, 7)),
    ],
)
def test_due_time_on_local_calendar_days(
    offset: str,
    at: str | None,
    appointment: datetime,
    expected_utc: datetime,
    expected_local: datetime,
) -> None:
    due = due_time(step(offset, at), appointment, PARIS)
    assert due == expected_utc
    assert due.tzinfo is UTC
    local = due.astimezone(PARIS)
    assert (local.date(), local.time()) == (expected_local.date(), expected_local.time())


@pytest.mark.parametrize(
    ("offset", "appointment", "expected_utc"),
    [
        # 03:30 CEST just after spring forward: 2 h elapsed is 00:30 CET, 3 h on the wall clock.
        ("-2h", paris(2026, 3, 29, 3, 30), utc(2026, 3, 28, 23, 30)),
        # 03:00 CET just after fall back: 2 h elapsed is 02:00 CEST, 1 h on the wall clock.
        ("-2h", paris(2026, 10, 25, 3), utc(2026, 10, 25, 0)),
        ("+90s", APPOINTMENT, utc(2026, 12, 7, 8, 31, 30)),
        ("-30m", APPOINTMENT, utc(2026, 12, 7, 8)),
    ],
)
def test_due_time_hours_are_exact_elapsed_time(
    offset: str, appointment: datetime, expected_utc: datetime
) -> None:
    due = due_time(step(offset, None), appointment, PARIS)
    assert due == expected_utc
    assert due - appointment == step(offset, None).offset


def test_minus_two_hours_across_dst_is_two_hours_elapsed() -> None:
    for appointment in (paris(2026, 3, 29, 3, 30), paris(2026, 10, 25, 3)):
        assert appointment - due_time(step("-2h", None), appointment, PARIS) == timedelta(hours=2)


def test_naive_datetimes_are_refused(shipped: Plan) -> None:
    with pytest.raises(ValueError):
        due_time(step(), datetime(2026, 12, 7, 9, 30), PARIS)
    with pytest.raises(ValueError):
        plan_for(shipped, APPOINTMENT, PARIS, datetime(2026, 12, 1))


# --- Expiry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        # A reminder before the procedure expires at the procedure, never later.
        (step("-1d", "18:00", "reminder"), APPOINTMENT),
        (step("-2h", None, "reminder"), APPOINTMENT),
        (step("-1d", "18:00", "reminder", timedelta(hours=4)), paris(2026, 12, 6, 22)),
        (step("-1d", "18:00", "reminder", timedelta(days=3)), APPOINTMENT),
        # Same rule for anything due before the procedure, a check-in included.
        (step("-1d", "18:00", "checkin"), APPOINTMENT),
        # The day itself at 07:00 for a 09:30 appointment: still before.
        (step("0d", "07:00", "reminder"), APPOINTMENT),
        # After the procedure: 24 h by default, or expires_after.
        (step("+1d", "10:00", "checkin"), paris(2026, 12, 9, 10)),
        (step("+1d", "10:00", "checkin", timedelta(hours=6)), paris(2026, 12, 8, 16)),
        (step("+1d", "10:00", "reminder"), paris(2026, 12, 9, 10)),
        (step("0d", "18:00", "reminder"), paris(2026, 12, 8, 18)),
    ],
)
def test_expires_at(s: Step, expected: datetime) -> None:
    assert expires_at(s, APPOINTMENT, PARIS) == expected
    assert expires_at(s, APPOINTMENT, PARIS) > due_time(s, APPOINTMENT, PARIS)


def test_shipped_expiry(shipped: Plan) -> None:
    ends = {p.step.id: p.expires_at for p in plan_for(shipped, APPOINTMENT, PARIS, APPOINTMENT)}
    assert ends["rappel_j_moins_7"] == paris(2026, 12, 2, 10)
    # The J-1 text says "demain": it must not go out after that evening.
    assert ends["rappel_veille"] == paris(2026, 12, 6, 22)
    assert ends["suivi_j_plus_1"] == paris(2026, 12, 9, 10)


# --- plan_for: never fire events from the past -----------------------------------------------


@pytest.mark.parametrize(
    ("now", "missed"),
    [
        # Enrolled early: everything to come.
        (paris(2026, 11, 20, 9), set()),
        # Just at J-7 10:00: due now, still sendable.
        (paris(2026, 11, 30, 10), set()),
        # Enrolled at J-3: J-7 (valid 48 h) is gone, J-1 to come.
        (paris(2026, 12, 4, 12), {"rappel_j_moins_7"}),
        # Enrolled on the eve at 21:00: J-1 (due 18:00, valid until 22:00) still goes out.
        (paris(2026, 12, 6, 21), {"rappel_j_moins_7"}),
        # Exactly at expiry: missed (a step is sendable while due <= now < expires_at).
        (paris(2026, 12, 6, 22), {"rappel_j_moins_7", "rappel_veille"}),
        # Enrolled the morning of the procedure.
        (paris(2026, 12, 7, 8), {"rappel_j_moins_7", "rappel_veille"}),
        # Rescheduled into the past, two days after: J+1 already expired at 10:00.
        (paris(2026, 12, 9, 11), {"rappel_j_moins_7", "rappel_veille", "suivi_j_plus_1"}),
    ],
)
def test_plan_for_marks_expired_steps_missed(
    shipped: Plan, now: datetime, missed: set[str]
) -> None:
    planned = plan_for(shipped, APPOINTMENT, PARIS, now)
    assert {p.step.id for p in planned if p.missed} == missed
    for p in planned:
        # A pending step can always still be sent; a missed one never could be.
        assert p.missed == (p.expires_at <= now)
        assert p.due_at < p.expires_at
    assert [p.due_at for p in planned] == sorted(p.due_at for p in planned)
    assert len(planned) == len(shipped.steps)


def test_plan_for_sorts_by_due_time(shipped: Plan) -> None:
    early = replace(shipped.steps[0], id="deux_heures_avant", days=None, offset=timedelta(hours=-2))
    plan = replace(shipped, steps=(*shipped.steps, early))
    ids = [p.step.id for p in plan_for(plan, APPOINTMENT, PARIS, paris(2026, 11, 1))]
    assert ids.index("deux_heures_avant") == 2


# --- Texts and buttons -----------------------------------------------------------------------


def test_render_text_fills_french_dates(shipped: Plan) -> None:
    j7, eve = shipped.steps[0], shipped.steps[1]
    text = render_text(j7, APPOINTMENT, PARIS, HOTLINE)
    assert "lundi 7 décembre 2026 à 09:30" in text and HOTLINE in text
    assert "{" not in text
    # Stored as UTC, shown in Paris time.
    eve_text = render_text(eve, APPOINTMENT.astimezone(UTC), PARIS, HOTLINE)
    assert "demain, lundi 7 décembre, à 09:30" in eve_text and HOTLINE in eve_text


def test_render_text_all_placeholders() -> None:
    s = replace(step(), text="{date}|{jour}|{heure}|{hotline}|{{x}}")
    assert render_text(s, paris(2026, 3, 29, 14, 5), PARIS, HOTLINE) == (
        f"dimanche 29 mars 2026 à 14:05|dimanche 29 mars|14:05|{HOTLINE}|{{x}}"
    )


def test_checkin_buttons(shipped: Plan) -> None:
    j1, j7 = shipped.steps[2], shipped.steps[3]
    assert checkin_buttons(j1) == [
        ("Bien", "bien"),
        ("Quelques gênes", "quelques_genes"),
        ("Pas bien", "pas_bien"),
    ]
    assert checkin_buttons(j7) == [(str(n), str(n)) for n in range(11)]


@pytest.mark.parametrize(
    ("step_id", "value", "previous", "worrying"),
    [
        ("suivi_j_plus_1", "bien", None, False),
        ("suivi_j_plus_1", "quelques_genes", None, False),
        ("suivi_j_plus_1", "pas_bien", None, True),
        ("suivi_j_plus_1", "inconnu", None, False),
        ("douleur_j_plus_7", "0", None, False),
        ("douleur_j_plus_7", "6", None, False),
        ("douleur_j_plus_7", "7", None, True),
        ("douleur_j_plus_7", "10", None, True),
        ("douleur_j_plus_7", "4", 3, True),  # worse than last time
        ("douleur_j_plus_7", "4", 4, False),
        ("douleur_j_plus_7", "3", 5, False),
        ("douleur_j_plus_7", "8", 9, True),  # still at or above the threshold
        ("douleur_j_plus_7", "11", None, False),  # not a value of the scale
        ("douleur_j_plus_7", "-1", None, False),
        ("douleur_j_plus_7", "bien", None, False),
        ("resultat_j_plus_30", "oui_nettement", None, False),
        ("resultat_j_plus_30", "un_peu", None, False),
        # #11: "no improvement" at J+30 is a note for the team, not an alert (no 15).
        ("resultat_j_plus_30", "non", None, False),
    ],
)
def test_is_worrying(
    shipped: Plan, step_id: str, value: str, previous: int | None, worrying: bool
) -> None:
    s = shipped.get(step_id)
    assert s is not None
    assert is_worrying(s, value, previous) is worrying


def test_is_worrying_without_previous_rule(shipped: Plan) -> None:
    j7 = shipped.get("douleur_j_plus_7")
    assert j7 is not None
    assert not is_worrying(replace(j7, alert_if_higher_than_previous=False), "4", 3)


# --- check_plan on broken files --------------------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The shipped plan with one edit at the start of a line (so the header comment, where
    lines start with "#", never matches); returns the file and the line of the edit."""
    text = SHIPPED.read_text(encoding="utf-8")
    at = text.index("\n" + old) + 1
    path = tmp_path / "reminders.yaml"
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return path, text[:at].count("\n") + 1


UN_PEU = '      - { label: "Un peu", value: un_peu }'
NON = '      - { label: "Non", value: non, alert: note }'


@pytest.mark.parametrize(
    ("old", "new", "message", "below"),
    [
        ("    kind: reminder", "    kind: reminder: oops", "YAML invalide", 0),
        ('    expires_after: "48h"', '    expire_after: "48h"', "« expire_after »", 0),
        ("    offset: -7d", "    offset: 7d", "sans signe", 0),
        ("    offset: -7d", "    offset: -7j", "invalide", 0),
        ("    offset: -7d", "    offset: 0h", "décalage nul", 0),
        ('    at: "18:00"', '    at: "25:00"', "de 00:00", 0),
        ('    at: "18:00"', "    at: 18:00", "guillemets", 0),
        ("    offset: -1d", "    offset: -24h", "« at »", 1),  # the error is on the `at` line
        ("  - id: rappel_veille", "  - id: rappel_j_moins_7", "déjà utilisé ligne", 0),
        ("  - id: rappel_veille", "  - id: Rappel-Veille", "identifiant", 0),
        ("    kind: reminder", "    kind: rappel", "reminder ou checkin", 0),
        ('    expires_after: "4h"', '    expires_after: "4 heures"', "expires_after", 0),
        ('no_answer_alert_after: "24h"', 'no_answer_alert_after: "0h"', "nulle", 0),
        ("      Nous vous attendons", "      {prenom}, nous vous attendons", "{prenom}", -3),
        ("      Nous vous attendons", "      Nous vous attendons {date", "accolade", -3),
        ("    scale: [0, 10]", "    scale: [10, 0]", "échelle", 0),
        ("    alert_at_or_above: 7", "    alert_at_or_above: 12", "hors de l'échelle", 0),
        (NON, NON.replace("value: non", "value: un_peu"), "déjà utilisée", 0),
        (UN_PEU, UN_PEU.replace("value: un_peu", "value: Un-Peu"), "value", 0),
        (UN_PEU, UN_PEU.replace("un_peu }", "un_peu, alert: oui }"), "alert vaut true", 0),
        (UN_PEU, UN_PEU.replace("value:", "valeur:"), "« valeur »", 0),
    ],
)
def test_check_plan_points_at_the_line(
    tmp_path: Path, old: str, new: str, message: str, below: int
) -> None:
    path, line = broken_copy(tmp_path, old, new)
    errors = problems(load_plan, path)
    assert errors, new
    first = str(errors[0])
    assert first.startswith(f"{path}:{line + below}: "), first
    assert message in first, first
    with pytest.raises(ContentError):
        load_plan(path)


def test_check_plan_reports_errors_at_the_step_line(tmp_path: Path) -> None:
    # A check-in whose buttons were deleted: the error is on the step's "- id:" line.
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index('    buttons:\n      - { label: "Bien"')
    end = text.index("\n\n", start)
    path = tmp_path / "reminders.yaml"
    path.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    step_line = text[: text.index("  - id: suivi_j_plus_1")].count("\n") + 1
    assert [str(e) for e in problems(load_plan, path)] == [
        f"{path}:{step_line}: un check-in (kind: checkin) doit proposer des réponses : "
        "« buttons » ou « scale »"
    ]


SMALL_BROKEN = """\
no_answer_alert_after: "24h"
steps:
  - id: veille
    offset: -1d
    at: "18:00"
    kind: reminder
    text: "À demain {heure} !"
    buttons:
      - { label: "OK", value: ok }
  - id: suivi
    offset: +1d
    kind: checkin
    text: "Ça va ?"
  - offset: +2h
    kind: checkin
    text: "Et là ?"
    scale: [0, 10]
    alert_at_or_above: 11
    alert_if_higher_than_previous: oui
  - id: veille
    offset: +3d
    kind: checkin
    text: "Bien ?"
    scale: [0, 10]
    buttons:
      - { label: "Oui", value: oui }
colour: bleu
"""


def test_check_plan_reports_every_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(SMALL_BROKEN, encoding="utf-8")
    errors = [str(e) for e in problems(load_plan, path)]
    # All of them, in file order, each on the line of the offending key or step.
    assert errors == [
        f"{path}:8: « buttons » est réservé aux check-ins : un rappel (kind: reminder) "
        "n'attend pas de réponse",
        f"{path}:10: un check-in (kind: checkin) doit proposer des réponses : "
        "« buttons » ou « scale »",
        f"{path}:14: champ obligatoire « id » manquant",
        f"{path}:18: alert_at_or_above (11) hors de l'échelle 0..10",
        f"{path}:19: « alert_if_higher_than_previous » doit valoir true ou false",
        f"{path}:20: identifiant « veille » déjà utilisé ligne 3",
        f"{path}:24: choisissez « buttons » ou « scale », pas les deux",
        f"{path}:27: clé inconnue « colour » en tête de fichier "
        "(clés possibles : no_answer_alert_after, steps)",
    ]
    with pytest.raises(ContentError) as info:
        load_plan(path)
    assert [str(e) for e in info.value.errors] == errors


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("", 1, "no_answer_alert_after"),
        ("- id: a\n", 1, "steps"),
        ('no_answer_alert_after: "24h"\n', 1, "« steps » manquant"),
        ("steps: 3\n", 1, "« steps » doit être une liste"),
        ("steps:\n  - 3\n", 2, "bloc de clés"),
        ("steps:\n  - id: a\n    offset: -1d\n", 2, "« kind » manquant"),
        ('steps:\n  - id: a\n    offset: -1d\n    kind: reminder\n    text: "x"\n', None, ""),
        ("steps:\n", None, ""),
        ("steps:\n  - id: a\n\tbad: tab\n", 3, "YAML invalide"),
    ],
)
def test_check_plan_file_shape(
    tmp_path: Path, content: str, line: int | None, message: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(content, encoding="utf-8")
    errors = problems(load_plan, path)
    if line is None:
        assert errors == []
        return
    assert errors, content
    assert str(errors[0]).startswith(f"{path}:{line}: "), errors
    assert message in str(errors[0]), errors


def test_text_too_long(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        f"steps:\n  - id: a\n    offset: -1d\n    kind: reminder\n    text: {'x' * 3501}\n",
        encoding="utf-8",
    )
    assert [str(e) for e in problems(load_plan, path)] == [
        f"{path}:5: texte trop long (3501 caractères, 3500 au plus)"
    ]


def test_j30_no_improvement_is_a_note_not_an_alert(shipped: Plan) -> None:
    step = shipped.get("resultat_j_plus_30")
    assert step is not None
    assert is_note(step, "non") and not is_worrying(step, "non", None)
    assert not is_note(step, "un_peu")


def test_baseline_step_gives_j7_a_previous_score(tmp_path: Path) -> None:
    """The commented-out baseline step of the shipped plan, switched on, is valid, is not
    chased when unanswered, and lets the J+7 'higher than before' rule fire."""
    lines = SHIPPED.read_text(encoding="utf-8").split("\n")
    start = lines.index("  # - id: douleur_avant")
    out = list(lines)
    for i in range(start, len(lines)):
        if not lines[i].startswith("  #"):
            break
        out[i] = "  " + lines[i][4:] if len(lines[i]) > 3 else ""
    path = tmp_path / "reminders.yaml"
    path.write_text("\n".join(out), encoding="utf-8")
    assert problems(load_plan, path) == []
    plan = load_plan(path)
    baseline, j7 = plan.get("douleur_avant"), plan.get("douleur_j_plus_7")
    assert baseline is not None and j7 is not None
    assert baseline.scale == (0, 10) and not baseline.note_if_unanswered
    assert j7.note_if_unanswered
    assert not is_worrying(baseline, "9", None)
    assert is_worrying(j7, "6", 4) and not is_worrying(j7, "4", 6)
