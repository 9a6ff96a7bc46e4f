"""What a valid ``data/triage.yaml`` is, said with the pydantic models of :mod:`bot.schema`.

Every text is checked and parsed here (patterns into steps, word lists into tokens), so that
:mod:`bot.triage.loader` only compiles a file already known to be valid. Errors come back as
French ``file:line`` messages through :func:`bot.schema.validate`; the ones specific to triage
(patterns, replies, severities, ids) keep the wording admins already know.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Final, cast

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from bot.normalize import fold, raw_tokens
from bot.schema import Model, fault, note, note_repeats
from bot.triage.pattern import ALT_RE, ParsedStep, PatternError, expand_tokens, parse_pattern
from bot.triage.rules import ALL_SEVERITIES, HUMAN_REQUEST_ID, Severity, is_severity

_DEFAULT_GAP: Final = 3
_DEFAULT_WINDOW: Final = 2
_ID_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER_RE: Final = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDERS: Final = frozenset({"hotline"})
_PATTERN_SIGNS: Final = re.compile(r"[|*+=]")


def _key(info: ValidationInfo) -> str:
    # Item validators see the name of the list they are in: messages name that list.
    return info.field_name or ""


# --- list items -------------------------------------------------------------------------------


def _text(value: object, info: ValidationInfo) -> str:
    """One text of a list, as written (an unquoted number is the text of its digits)."""
    if isinstance(value, bool):
        raise fault(
            f"élément de « {_key(info)} » lu comme vrai/faux : mettez les mots on, off, yes, "
            'no, true, false entre guillemets (ex. : "on")'
        )
    if not isinstance(value, str | int):
        raise fault(f"élément de « {_key(info)} » : un texte est attendu")
    if str(value).strip() == "":
        raise fault(f"élément vide dans « {_key(info)} »")
    return str(value)


def _pattern(value: object, info: ValidationInfo) -> list[ParsedStep]:
    try:
        return parse_pattern(_text(value, info))
    except PatternError as exc:
        raise fault(str(exc)) from None


def _words(value: object, info: ValidationInfo) -> tuple[str, ...]:
    """Plain words (no pattern syntax), normalised like messages."""
    text = _text(value, info)
    if _PATTERN_SIGNS.search(text):
        raise fault(f"« {_key(info)} » : mots simples attendus, sans « | * + = »")
    tokens = expand_tokens(raw_tokens(text))
    if not tokens:
        raise fault(f"élément vide dans « {_key(info)} »")
    return tuple(tokens)


def _no_typo(value: object, info: ValidationInfo) -> tuple[str, bool]:
    """(word, whether it is a prefix ``mot*``)."""
    text = _text(value, info)
    match = ALT_RE.fullmatch(fold(text).strip())
    if match is None or match.group(1):
        raise fault(f"« no_typo » : un mot ou un préfixe (mot*) attendu : « {text} »")
    return match.group(2), bool(match.group(3))


def _written(value: object, info: ValidationInfo) -> object:
    # A key left empty ("cues:") reads as null: "empty" says more than "not a list".
    if value is None:
        raise fault(f"« {_key(info)} » est vide")
    return value


def _not_empty(items: list[Any], info: ValidationInfo) -> list[Any]:
    if not items:
        raise fault(f"« {_key(info)} » ne peut pas être une liste vide")
    return items


PatternList = Annotated[
    list[Annotated[list[ParsedStep], PlainValidator(_pattern)]], BeforeValidator(_written)
]
Patterns = Annotated[PatternList, AfterValidator(_not_empty)]  # a list that must say something
WordList = Annotated[
    list[Annotated[tuple[str, ...], PlainValidator(_words)]], BeforeValidator(_written)
]
NoTypoList = Annotated[
    list[Annotated[tuple[str, bool], PlainValidator(_no_typo)]], BeforeValidator(_written)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _bounded(low: int, high: int) -> PlainValidator:
    def check(value: object, info: ValidationInfo) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fault(f"« {_key(info)} » doit être un nombre entier entre {low} et {high}")
        return value

    return PlainValidator(check)


def _reply(text: str | None, where: str, field: str) -> str:
    """A reply template: not empty, with {hotline} and no other placeholder; stripped."""
    if text is None or not text.strip():
        raise fault(f"« {where} » : « {field} » manquant ou vide")
    names = _PLACEHOLDER_RE.findall(text)
    problems = [
        f"espace réservé inconnu « {{{name}}} » (seul {{hotline}} existe)"
        for name in names
        if name not in _PLACEHOLDERS
    ]
    if "hotline" not in names:
        problems.append("la réponse doit contenir {hotline} (le numéro)")
    rest = _PLACEHOLDER_RE.sub("", text)
    if "{" in rest or "}" in rest:
        problems.append("accolade « { » ou « } » non appariée")
    if problems:
        raise fault(f"« {where} » : " + " ; ".join(problems))
    return text.strip()


# --- the file ---------------------------------------------------------------------------------


class _Severity(Model):
    """The staff label and the patient replies of one severity."""

    # The entry does not say which severity it is; its messages must.
    name: ClassVar[str]
    label: Label
    reply: str
    reply_en: str

    @field_validator("reply", "reply_en")
    @classmethod
    def _template(cls, text: str, info: ValidationInfo) -> str:
        return _reply(text, cls.name, _key(info))


class _Vital(_Severity):
    name = "vital"


class _Detresse(_Severity):
    name = "detresse"


class _Urgent(_Severity):
    name = "urgent"


class _Humain(_Severity):
    name = "humain"


class _Concern(_Severity):
    name = "concern"


def _present(value: object, info: ValidationInfo) -> object:
    if value is None:
        raise fault(f"gravité « {_key(info)} » manquante dans « severities »")
    return value


# A missing severity defaults to None only so that _present runs and names it as a severity.
_Given = BeforeValidator(_present)
_CHECK_DEFAULT: Any = Field(default=None, validate_default=True)


class _Severities(Model):
    """One entry per severity of :data:`ALL_SEVERITIES`, with the same names."""

    vital: Annotated[_Vital, _Given] = _CHECK_DEFAULT
    detresse: Annotated[_Detresse, _Given] = _CHECK_DEFAULT
    urgent: Annotated[_Urgent, _Given] = _CHECK_DEFAULT
    humain: Annotated[_Humain, _Given] = _CHECK_DEFAULT
    concern: Annotated[_Concern, _Given] = _CHECK_DEFAULT


class _Negation(Model):
    window: Annotated[int, _bounded(0, 5)] = _DEFAULT_WINDOW
    cues: Patterns
    adjacent_cues: PatternList = Field(default_factory=list)
    clause_start_cues: PatternList = Field(default_factory=list)
    pseudo: PatternList = Field(default_factory=list)
    breakers: WordList = Field(default_factory=list)


class _Questions(Model):
    markers: Patterns
    reports: Patterns


class _Context(Model):
    """The ConText trigger lists, named like :data:`bot.triage.context.CONTEXT_KEYS`."""

    hypothetical: Patterns
    now: Patterns
    past: Patterns
    past_scene: Patterns
    resolved: Patterns
    chronic: Patterns
    self: Patterns
    relatives: Patterns
    strangers: Patterns
    not_patient: Patterns
    mild: Patterns
    usual: Patterns
    imagined: Patterns


def _category_id(value: object) -> str:
    if isinstance(value, str) and _ID_RE.fullmatch(value):
        return value
    raise fault("« id » manquant ou invalide (lettres minuscules, chiffres et _)")


def _severity(value: object) -> Severity:
    if is_severity(value):
        return cast(Severity, value)
    raise fault(f"gravité inconnue « {value} » (gravités possibles : {', '.join(ALL_SEVERITIES)})")


class _Category(Model):
    # Field order matters: the reply check names the category by its id, from info.data.
    id: Annotated[str, PlainValidator(_category_id)]
    label: Label
    severity: Annotated[Severity, PlainValidator(_severity)]
    skip_when_question: bool = True
    patterns: Patterns
    exclusions: PatternList = Field(default_factory=list)
    veto: PatternList = Field(default_factory=list)
    reply: str | None = None  # overrides the severity's reply
    reply_en: str | None = None

    @field_validator("reply", "reply_en")
    @classmethod
    def _template(cls, text: str | None, info: ValidationInfo) -> str:
        # Defaults are not validated: None here is a "reply:" key left empty.
        return _reply(text, str(info.data.get("id")), _key(info))


class TriageFile(Model):
    """The whole rules file."""

    max_gap: Annotated[int, _bounded(0, 10)] = _DEFAULT_GAP
    severities: _Severities
    clause_separators: WordList = Field(default_factory=list)
    negation: _Negation
    questions: _Questions
    no_typo: NoTypoList = Field(default_factory=list)
    context: _Context
    categories: Annotated[list[_Category], Field(min_length=1)]

    @field_validator("categories", mode="before")
    @classmethod
    def _ids(cls, items: object, info: ValidationInfo) -> object:
        # On the raw list, so that a repeated id or the missing /urgence category is reported
        # beside the categories' own errors.
        if not isinstance(items, list) or not items:
            return items
        first = note_repeats(
            info,
            items,
            ("categories",),
            "id",
            "id « {id} » en double (déjà utilisé ligne {ligne})",
            usable=lambda cid: _ID_RE.fullmatch(cid) is not None,
        )
        human = first.get(HUMAN_REQUEST_ID)
        if human is None:
            note(
                info,
                ("categories",),
                f"catégorie « {HUMAN_REQUEST_ID} » obligatoire (utilisée par la commande /urgence)",
            )
        elif is_severity(severity := items[human].get("severity")) and severity != "humain":
            note(
                info,
                ("categories", human, "id"),
                f"la catégorie « {HUMAN_REQUEST_ID} » doit avoir la gravité « humain »",
            )
        return items
