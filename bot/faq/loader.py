"""Loading and checking the admin-edited FAQ files (``faq/*.yaml``).

Every problem becomes a ``CheckError(path, line, message)`` in French, pointing at the line
the admin has to fix. :func:`load_faq` raises them all at
once (a broken file never replaces a working FAQ: the caller keeps the old one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    RootModel,
    StringConstraints,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from bot.faq.engine import Faq
from bot.faq.learned import MODEL_PATH, FaqModel, cached_model
from bot.faq.model import FaqEntry, OffTopic, SmalltalkIntent
from bot.faq.text import Synonyms, analyse, surface_tokens, term_pattern
from bot.schema import Model, fault, line_of, note, validate
from bot.yamlfile import CheckError, ContentError, load_yaml, read_admin_file

M = TypeVar("M", bound=RootModel[Any] | Model)
Item = TypeVar("Item")

SYNONYMS_FILE = "synonymes.yaml"
SMALLTALK_FILE = "smalltalk.yaml"
OFFTOPIC_FILE = "hors_sujet.yaml"
SPECIAL_FILES = frozenset({SYNONYMS_FILE, SMALLTALK_FILE, OFFTOPIC_FILE})

# Telegram allows 4096 characters; the bot adds a header, buttons text and the phone line.
MAX_ANSWER_CHARS = 3500
ALLOWED_PLACEHOLDERS = frozenset({"hotline"})
ID_RE = re.compile(r"^[a-z0-9_]+$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_NUMBER_RE = re.compile(r"\d+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_WS_RE = re.compile(r"\s+")


def load_faq(faq_dir: Path, source_dir: Path, model: Path | None = MODEL_PATH) -> Faq:
    """The FAQ from ``faq_dir``, with the learned second reader's weights (``model=None``: the
    matcher alone); raises ContentError listing every problem found."""
    faq, errors = _load(faq_dir, source_dir, model)
    if errors or faq is None:
        raise ContentError(errors)
    return faq


def _squash(text: str) -> str:
    """How source quotes are compared: whitespace runs and apostrophe styles do not matter."""
    return _WS_RE.sub(" ", text.translate(_APOSTROPHES)).strip()


def _number_as_text(value: object) -> object:
    # An admin writing `- 15` means the text "15", not a number.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[
    str,
    BeforeValidator(_number_as_text),
    StringConstraints(strip_whitespace=True, min_length=1),
]
Texts = Annotated[list[Text], Field(min_length=1)]


def _slug(value: object, message: str) -> str:
    if isinstance(value, str) and ID_RE.match(value.strip()):
        return value.strip()
    raise fault(message.format(value=value))


def _placeholders(text: str, what: str) -> str:
    problems = []
    for name in _PLACEHOLDER_RE.findall(text):
        if name not in ALLOWED_PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(ALLOWED_PLACEHOLDERS))
            problems.append(f"{what} : variable inconnue « {{{name}}} » (autorisées : {allowed})")
    stripped = _PLACEHOLDER_RE.sub("", text)
    if "{" in stripped or "}" in stripped:
        problems.append(f"{what} : accolade « {{ » ou « }} » isolée")
    if problems:
        raise fault(" ; ".join(problems))
    return text


def _quote(quote: str, info: ValidationInfo) -> str:
    source = _context(info).get("source", "")
    if source and _squash(quote) not in source:
        raise fault(
            f"citation introuvable dans data/source (à recopier mot pour mot) : « {quote[:80]} »"
        )
    return quote


def _term(term: str, info: ValidationInfo) -> str:
    pattern = term_pattern(term, _context(info).get("synonyms", Synonyms([])))
    if isinstance(pattern, str):
        raise fault(f"« {term} » {pattern}")
    return term


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


class _Entry(Model):
    id: Annotated[
        str,
        PlainValidator(
            lambda v: _slug(
                v, "id « {value} » invalide : seulement a-z, 0-9 et _ (sans accent ni espace)"
            )
        ),
    ]
    question: Text
    phrasings: Texts
    answer: Text
    source: Annotated[list[Annotated[Text, AfterValidator(_quote)]], Field(min_length=1)]
    related: list[Text] | None = None

    @field_validator("answer")
    @classmethod
    def _answer(cls, answer: str) -> str:
        if len(answer) > MAX_ANSWER_CHARS:
            raise fault(
                f"réponse trop longue : {len(answer)} caractères (maximum {MAX_ANSWER_CHARS})"
            )
        return _placeholders(answer, "answer")

    @field_validator("source")
    @classmethod
    def _numbers(cls, quotes: list[str], info: ValidationInfo) -> list[str]:
        # A number in an answer is a medical fact (a duration, a dose, a count): it must come
        # from the quoted source, never from memory.
        answer = info.data.get("answer")
        allowed = set(_NUMBER_RE.findall(" ".join(quotes)))
        for number in _NUMBER_RE.findall(_PLACEHOLDER_RE.sub("", answer or "")):
            if number not in allowed:
                raise fault(
                    f"le nombre « {number} » de la réponse ne figure dans aucune citation source",
                    at=("answer",),
                )
        return quotes


class _ThemeFile(Model):
    theme: Text
    entries: Annotated[list[_Entry], Field(min_length=1)]


class _Intent(Model):
    intent: Annotated[str, PlainValidator(lambda v: _slug(v, "« intent » invalide : « {value} »"))]
    phrasings: Texts
    reply: Annotated[Text, AfterValidator(lambda r: _placeholders(r, "reply"))]
    # Also recognised inside a longer sentence (see SmalltalkIntent).
    in_sentence: bool = False


class _Smalltalk(RootModel[list[_Intent]]):
    @field_validator("root", mode="before")
    @classmethod
    def _unique(cls, items: object, info: ValidationInfo) -> object:
        # On the raw list, so a repeat is reported even beside the intents' own errors.
        ids: dict[str, int] = {}
        phrasings: dict[str, tuple[int, int]] = {}
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, dict):
                continue
            intent = item.get("intent")
            if isinstance(intent, str) and intent in ids:
                note(
                    info,
                    (i, "intent"),
                    f"intention « {intent} » déjà définie ligne {{ligne}}",
                    ref=(ids[intent],),
                )
            elif isinstance(intent, str):
                ids[intent] = i
            texts = item.get("phrasings")
            for j, text in enumerate(texts if isinstance(texts, list) else ()):
                if not isinstance(text, str) or not text.strip():
                    continue
                key = " ".join(surface_tokens(text))
                if not key:
                    note(
                        info,
                        (i, "phrasings", j),
                        f"formulation vide après normalisation : « {text} »",
                    )
                elif key in phrasings:
                    first = phrasings[key]
                    note(
                        info,
                        (i, "phrasings", j),
                        f"« {text.strip()} » figure déjà ligne {{ligne}}",
                        ref=(first[0], "phrasings", first[1]),
                    )
                else:
                    phrasings[key] = (i, j)
        return items


class _Topic(Model):
    topic: Text
    terms: Annotated[list[Annotated[Text, AfterValidator(_term)]], Field(min_length=1)]
    id: Annotated[
        str | None,
        PlainValidator(lambda v: _slug(v, "id « {value} » : minuscules, chiffres et _ seulement")),
    ] = None
    ne_precise_pas: Text | None = None

    @model_validator(mode="after")
    def _says_what_is_missing(self) -> _Topic:
        if self.id and not self.ne_precise_pas:
            raise fault("un sujet avec un id doit avoir « ne_precise_pas »")
        return self


class _OffTopics(RootModel[list[_Topic]]):
    pass


class _Synonyms(RootModel[list[list[Text]]]):
    @field_validator("root", mode="wrap")
    @classmethod
    def _groups(
        cls, groups: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[list[str]]:
        # Repeats are judged on the raw lists, so they are reported beside type errors; the
        # groups left once repeats are dropped serve the other files' checks even then.
        seen: dict[tuple[str, ...], int] = {}
        dropped: set[tuple[int, int]] = set()
        short: set[int] = set()
        for i, group in enumerate(groups if isinstance(groups, list) else ()):
            kept = 0
            for j, member in enumerate(group if isinstance(group, list) else ()):
                member = _number_as_text(member)
                if not isinstance(member, str):
                    continue  # reported by the type check
                key = tuple(surface_tokens(member))
                if not key:
                    note(info, (i, j), "synonyme vide ou qui n'est pas un texte")
                elif key in seen:
                    note(
                        info,
                        (i, j),
                        f"« {member} » est déjà dans le groupe de la ligne {{ligne}}",
                        ref=(seen[key],),
                    )
                else:
                    seen[key] = i
                    kept += 1
                    continue
                dropped.add((i, j))
            if isinstance(group, list) and kept < 2:
                note(info, (i,), "un groupe de synonymes doit avoir au moins deux mots")
                short.add(i)
        valid: list[list[str]] = handler(groups)
        return [
            [m for j, m in enumerate(group) if (i, j) not in dropped]
            for i, group in enumerate(valid)
            if i not in short
        ]


@dataclass
class _Loader:
    faq_dir: Path
    source_dir: Path
    errors: list[CheckError] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def error(self, path: Path | str, line: int, message: str) -> None:
        self.errors.append(CheckError(str(path), line, message))

    def read(self, path: Path, model: type[M]) -> tuple[Any, M | None]:
        """The raw tree (for its lines) and the validated model, or None with errors kept."""
        try:
            data = load_yaml(path)
        except ContentError as exc:
            self.errors.extend(exc.errors)
            return None, None
        built, errors = validate(model, data, str(path), self.context)
        self.errors.extend(errors)
        return data, built

    def yaml_files(self) -> list[Path]:
        if not self.faq_dir.is_dir():
            self.error(self.faq_dir, 0, "dossier de la FAQ introuvable")
            return []
        return sorted(
            p
            for p in self.faq_dir.iterdir()
            if p.is_file() and p.name.endswith(".yaml") and not p.name.startswith("_")
        )

    def source_text(self) -> str:
        files = sorted(self.source_dir.glob("*.txt")) if self.source_dir.is_dir() else []
        if not files:
            self.error(self.source_dir, 0, "aucun document source (*.txt) trouvé")
            return ""
        texts: list[str] = []
        for f in files:
            try:
                texts.append(_squash(read_admin_file(f)))
            except ContentError as exc:
                self.errors.extend(exc.errors)
        return "\n".join(texts)

    def synonyms(self, path: Path) -> list[list[str]]:
        _, built = self.read(path, _Synonyms)
        return [list(group) for group in built.root] if built else []

    def listed(self, path: Path, model: type[RootModel[list[Item]]]) -> list[tuple[Item, int]]:
        """The items of a file that is one list (smalltalk, off-topics), each with its line;
        none when the file is invalid (its errors are kept)."""
        data, built = self.read(path, model)
        return [(it, line_of(data, (i,))) for i, it in enumerate(built.root)] if built else []

    def smalltalk(self, path: Path) -> list[SmalltalkIntent]:
        return [
            SmalltalkIntent(
                it.intent,
                tuple(it.phrasings),
                it.reply,
                it.in_sentence,
                path=str(path),
                line=line,
            )
            for it, line in self.listed(path, _Smalltalk)
        ]

    def offtopics(self, path: Path) -> list[OffTopic]:
        return [
            OffTopic(
                t.topic,
                tuple(t.terms),
                t.id or "",
                t.ne_precise_pas or "",
                path=str(path),
                line=line,
            )
            for t, line in self.listed(path, _OffTopics)
        ]

    def theme_file(self, path: Path) -> tuple[str, list[_RawEntry]] | None:
        data, built = self.read(path, _ThemeFile)
        if built is None:
            return None
        entries = []
        for i, e in enumerate(built.entries):
            at = ("entries", i)
            texts = [(e.question, line_of(data, (*at, "question")))]
            texts += [(t, line_of(data, (*at, "phrasings", j))) for j, t in enumerate(e.phrasings)]
            related = [
                (r, line_of(data, (*at, "related", j))) for j, r in enumerate(e.related or ())
            ]
            entry = FaqEntry(
                id=e.id,
                theme=built.theme,
                question=e.question,
                answer=e.answer,
                phrasings=tuple(e.phrasings),
                source=tuple(e.source),
                related=tuple(r for r, _ in related),
                path=str(path),
                line=line_of(data, at),
            )
            entries.append(_RawEntry(e.id, path, line_of(data, (*at, "id")), texts, related, entry))
        return built.theme, entries


@dataclass(frozen=True)
class _RawEntry:
    """What the cross-entry checks need from one entry, with its lines."""

    id: str
    path: Path
    id_line: int
    texts: list[tuple[str, int]]  # question and phrasings
    related: list[tuple[str, int]]
    built: FaqEntry


def _load(
    faq_dir: Path, source_dir: Path, model_path: Path | None
) -> tuple[Faq | None, list[CheckError]]:
    loader = _Loader(faq_dir, source_dir)
    files = loader.yaml_files()
    source = loader.source_text()
    by_name = {p.name: p for p in files}
    groups = loader.synonyms(by_name[SYNONYMS_FILE]) if SYNONYMS_FILE in by_name else []
    synonyms = Synonyms(groups)
    loader.context.update(source=source, synonyms=synonyms)
    smalltalk = loader.smalltalk(by_name[SMALLTALK_FILE]) if SMALLTALK_FILE in by_name else []
    offtopics = loader.offtopics(by_name[OFFTOPIC_FILE]) if OFFTOPIC_FILE in by_name else []

    themes: list[tuple[str, list[_RawEntry]]] = []
    theme_files = [p for p in files if p.name not in SPECIAL_FILES]
    if files and not theme_files:
        loader.error(faq_dir, 0, "aucun fichier de thème (*.yaml) dans le dossier de la FAQ")
    for path in theme_files:
        loaded = loader.theme_file(path)
        if loaded is not None:
            themes.append(loaded)
    if len(themes) == len(theme_files):
        # Across files, once each file is valid: a broken file's ids would look unknown.
        raw = [e for _, es in themes for e in es]
        _check_ids(loader, raw)
        _check_phrasings(loader, raw, synonyms)
        _check_related(loader, raw)

    model: FaqModel | None = None
    if model_path is not None:
        try:
            model = cached_model(model_path)
        except (OSError, ValueError) as exc:
            # Like the triage net: never silently without it; `check` says why.
            loader.error(model_path, 0, f"modèle de la FAQ illisible : {exc}")
    if loader.errors:
        return None, loader.errors
    built = [(t, [e.built for e in es]) for t, es in themes]
    return Faq(built, synonyms, smalltalk, offtopics, model), []


def _check_ids(loader: _Loader, raw: list[_RawEntry]) -> None:
    places: dict[str, list[_RawEntry]] = {}
    for entry in raw:
        places.setdefault(entry.id, []).append(entry)
    for entry_id, same in places.items():
        if len(same) < 2:
            continue
        for entry in same:
            others = ", ".join(f"{o.path}:{o.id_line}" for o in same if o is not entry)
            loader.error(
                entry.path, entry.id_line, f"id « {entry_id} » en double (aussi : {others})"
            )


def _check_phrasings(loader: _Loader, raw: list[_RawEntry], synonyms: Synonyms) -> None:
    # Two entries with the same phrasing (once normalised) make the engine pick at random.
    seen: dict[frozenset[str], tuple[_RawEntry, int, str]] = {}
    for entry in raw:
        for text, line in entry.texts:
            key = frozenset(analyse(text, synonyms).terms)
            if not key:
                loader.error(
                    entry.path,
                    line,
                    f"« {text} » ne contient que des mots outils : formulation inutilisable",
                )
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = (entry, line, text)
            elif first[0].id != entry.id:
                other, oline, otext = first
                loader.error(
                    entry.path,
                    line,
                    f"« {text} » (entrée {entry.id}) équivaut à « {otext} » de l'entrée "
                    f"{other.id} ({other.path}:{oline}) : le moteur ne peut pas les distinguer",
                )


def _check_related(loader: _Loader, raw: list[_RawEntry]) -> None:
    known = {e.id for e in raw}
    for entry in raw:
        for rid, line in entry.related:
            if rid == entry.id:
                loader.error(entry.path, line, "« related » renvoie à l'entrée elle-même")
            elif rid not in known:
                loader.error(entry.path, line, f"« related » : id inconnu « {rid} »")
