"""Loading and checking the admin-edited FAQ files (``faq/*.yaml``).

Every problem becomes a ``CheckError(path, line, message)`` in French, pointing at the line
the admin has to fix. :func:`check_faq` returns them all; :func:`load_faq` raises them all at
once (a broken file never replaces a working FAQ: the caller keeps the old one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.faq.engine import Faq
from bot.faq.model import FaqEntry, OffTopic, SmalltalkIntent
from bot.faq.text import Synonyms, analyse, term_pattern
from bot.yamlfile import CheckError, ContentError, LineDict, LineList, load_yaml, read_admin_file

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

ENTRY_KEYS = ("id", "question", "phrasings", "answer", "source", "related")
REQUIRED_ENTRY_KEYS = ("id", "question", "phrasings", "answer", "source")


def load_faq(faq_dir: Path, source_dir: Path) -> Faq:
    """The FAQ from ``faq_dir``; raises ContentError listing every problem found."""
    faq, errors = _load(faq_dir, source_dir)
    if errors or faq is None:
        raise ContentError(errors)
    return faq


def check_faq(faq_dir: Path, source_dir: Path) -> list[CheckError]:
    """Every problem in the FAQ files, in file order; [] when the FAQ can be used."""
    return _load(faq_dir, source_dir)[1]


def _squash(text: str) -> str:
    """How source quotes are compared: whitespace runs and apostrophe styles do not matter."""
    return _WS_RE.sub(" ", text.translate(_APOSTROPHES)).strip()


@dataclass
class _Loader:
    faq_dir: Path
    source_dir: Path
    errors: list[CheckError] = field(default_factory=list)

    def error(self, path: Path | str, line: int, message: str) -> None:
        self.errors.append(CheckError(str(path), line, message))

    def read(self, path: Path) -> Any:
        try:
            return load_yaml(path)
        except ContentError as exc:
            self.errors.extend(exc.errors)
            return None

    # --- small typed accessors that report what is wrong -------------------------------------

    def text_field(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> str:
        line = data.key_lines.get(key, data.line)
        if key not in data:
            if required:
                self.error(path, data.line, f"champ obligatoire « {key} » manquant")
            return ""
        value = data[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(path, line, f"« {key} » doit être un texte")
            return ""
        if not value.strip():
            self.error(path, line, f"« {key} » est vide")
            return ""
        return value.strip()

    def text_list(
        self, path: Path, data: LineDict, key: str, *, required: bool = True
    ) -> list[tuple[str, int]]:
        """(text, line) items of a list of texts."""
        line = data.key_lines.get(key, data.line)
        if key not in data:
            if required:
                self.error(path, data.line, f"champ obligatoire « {key} » manquant")
            return []
        value = data[key]
        if value is None and not required:
            return []
        if not isinstance(value, LineList):
            self.error(path, line, f"« {key} » doit être une liste (lignes commençant par « - »)")
            return []
        if not value and required:
            self.error(path, line, f"la liste « {key} » est vide")
        out: list[tuple[str, int]] = []
        for i, item in enumerate(value):
            item_line = value.item_lines[i]
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.error(path, item_line, f"élément de « {key} » vide ou qui n'est pas un texte")
                continue
            out.append((item.strip(), item_line))
        return out

    def placeholders(self, path: Path, line: int, text: str, what: str) -> None:
        for name in _PLACEHOLDER_RE.findall(text):
            if name not in ALLOWED_PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in sorted(ALLOWED_PLACEHOLDERS))
                self.error(
                    path,
                    line,
                    f"{what} : variable inconnue « {{{name}}} » (autorisées : {allowed})",
                )
        stripped = _PLACEHOLDER_RE.sub("", text)
        if "{" in stripped or "}" in stripped:
            self.error(path, line, f"{what} : accolade « {{ » ou « }} » isolée")

    # --- files -------------------------------------------------------------------------------

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
        data = self.read(path)
        if data is None:
            return []
        if not isinstance(data, LineList):
            self.error(path, getattr(data, "line", 1), "le fichier doit être une liste de groupes")
            return []
        groups: list[list[str]] = []
        seen: dict[tuple[str, ...], int] = {}
        from bot.faq.text import surface_tokens  # local: keeps the import list short

        for i, group in enumerate(data):
            line = data.item_lines[i]
            if not isinstance(group, LineList):
                self.error(path, line, "un groupe doit être une liste entre crochets [a, b, c]")
                continue
            members: list[str] = []
            for j, member in enumerate(group):
                mline = group.item_lines[j]
                if isinstance(member, (int, float)) and not isinstance(member, bool):
                    member = str(member)
                if not isinstance(member, str) or not surface_tokens(member):
                    self.error(path, mline, "synonyme vide ou qui n'est pas un texte")
                    continue
                key = tuple(surface_tokens(member))
                if key in seen:
                    self.error(
                        path,
                        mline,
                        f"« {member} » est déjà dans le groupe de la ligne {seen[key]}",
                    )
                    continue
                seen[key] = line
                members.append(member)
            if len(members) < 2:
                self.error(path, line, "un groupe de synonymes doit avoir au moins deux mots")
                continue
            groups.append(members)
        return groups

    def smalltalk(self, path: Path) -> list[SmalltalkIntent]:
        data = self.read(path)
        if data is None:
            return []
        if not isinstance(data, LineList):
            self.error(
                path, getattr(data, "line", 1), "le fichier doit être une liste d'intentions"
            )
            return []
        intents: list[SmalltalkIntent] = []
        seen_ids: dict[str, int] = {}
        seen_phrasings: dict[str, int] = {}
        from bot.faq.text import surface_tokens

        for i, item in enumerate(data):
            line = data.item_lines[i]
            if not isinstance(item, LineDict):
                self.error(path, line, "chaque intention doit avoir intent, phrasings et reply")
                continue
            self.unknown_keys(path, item, ("intent", "phrasings", "reply", "in_sentence"))
            in_sentence = item.get("in_sentence", False)
            if not isinstance(in_sentence, bool):
                self.error(
                    path, item.key_lines["in_sentence"], "« in_sentence » doit valoir true ou false"
                )
                in_sentence = False
            intent = self.text_field(path, item, "intent")
            if intent and not ID_RE.match(intent):
                self.error(path, item.key_lines["intent"], f"« intent » invalide : « {intent} »")
            if intent in seen_ids:
                self.error(
                    path,
                    item.key_lines["intent"],
                    f"intention « {intent} » déjà définie ligne {seen_ids[intent]}",
                )
            seen_ids.setdefault(intent, line)
            phrasings = self.text_list(path, item, "phrasings")
            for text, pline in phrasings:
                key = " ".join(surface_tokens(text))
                if not key:
                    self.error(path, pline, f"formulation vide après normalisation : « {text} »")
                elif key in seen_phrasings:
                    self.error(path, pline, f"« {text} » figure déjà ligne {seen_phrasings[key]}")
                else:
                    seen_phrasings[key] = pline
            reply = self.text_field(path, item, "reply")
            if reply:
                self.placeholders(path, item.key_lines["reply"], reply, "reply")
            if intent and phrasings and reply:
                intents.append(
                    SmalltalkIntent(
                        intent,
                        tuple(t for t, _ in phrasings),
                        reply,
                        str(path),
                        line,
                        in_sentence,
                    )
                )
        return intents

    def offtopics(self, path: Path, synonyms: Synonyms) -> list[OffTopic]:
        data = self.read(path)
        if data is None:
            return []
        if not isinstance(data, LineList):
            self.error(path, getattr(data, "line", 1), "le fichier doit être une liste de sujets")
            return []
        topics: list[OffTopic] = []
        for i, item in enumerate(data):
            line = data.item_lines[i]
            if not isinstance(item, LineDict):
                self.error(path, line, "chaque sujet doit avoir topic et terms")
                continue
            self.unknown_keys(path, item, ("topic", "terms", "id", "ne_precise_pas"))
            name = self.text_field(path, item, "topic")
            topic_id = self.text_field(path, item, "id", required=False)
            if topic_id and not ID_RE.match(topic_id):
                self.error(path, line, f"id « {topic_id} » : minuscules, chiffres et _ seulement")
            missing = self.text_field(path, item, "ne_precise_pas", required=False)
            if topic_id and not missing:
                self.error(path, line, "un sujet avec un id doit avoir « ne_precise_pas »")
            terms = self.text_list(path, item, "terms")
            kept: list[str] = []
            for term, tline in terms:
                pattern = term_pattern(term, synonyms)
                if isinstance(pattern, str):
                    self.error(path, tline, f"« {term} » {pattern}")
                else:
                    kept.append(term)
            if name and kept:
                topics.append(OffTopic(name, tuple(kept), str(path), line, topic_id, missing))
        return topics

    def unknown_keys(self, path: Path, data: LineDict, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.error(
                    path,
                    data.key_lines[key],
                    f"champ inconnu « {key} » (champs possibles : {', '.join(allowed)})",
                )

    def theme_file(self, path: Path, source: str) -> tuple[str, list[_RawEntry]] | None:
        data = self.read(path)
        if data is None:
            return None
        if not isinstance(data, LineDict):
            self.error(path, getattr(data, "line", 1), "le fichier doit contenir theme et entries")
            return None
        self.unknown_keys(path, data, ("theme", "entries"))
        theme = self.text_field(path, data, "theme")
        if "entries" not in data:
            self.error(path, data.line, "champ obligatoire « entries » manquant")
            return None
        raw_entries = data["entries"]
        if not isinstance(raw_entries, LineList) or not raw_entries:
            self.error(path, data.key_lines["entries"], "« entries » doit être une liste non vide")
            return None
        entries: list[_RawEntry] = []
        for i, item in enumerate(raw_entries):
            entry = self.entry(path, raw_entries.item_lines[i], item, theme, source)
            if entry is not None:
                entries.append(entry)
        return theme, entries

    def entry(self, path: Path, line: int, item: Any, theme: str, source: str) -> _RawEntry | None:
        if not isinstance(item, LineDict):
            self.error(path, line, "chaque entrée doit être un bloc id, question, phrasings...")
            return None
        n_errors = len(self.errors)
        self.unknown_keys(path, item, ENTRY_KEYS)
        entry_id = self.text_field(path, item, "id")
        if entry_id and not ID_RE.match(entry_id):
            self.error(
                path,
                item.key_lines["id"],
                f"id « {entry_id} » invalide : seulement a-z, 0-9 et _ (sans accent ni espace)",
            )
        question = self.text_field(path, item, "question")
        phrasings = self.text_list(path, item, "phrasings")
        answer = self.text_field(path, item, "answer")
        quotes = self.text_list(path, item, "source")
        related = self.text_list(path, item, "related", required=False)
        if answer:
            aline = item.key_lines["answer"]
            if len(answer) > MAX_ANSWER_CHARS:
                self.error(
                    path,
                    aline,
                    f"réponse trop longue : {len(answer)} caractères (maximum {MAX_ANSWER_CHARS})",
                )
            self.placeholders(path, aline, answer, "answer")
        for quote, qline in quotes:
            if source and _squash(quote) not in source:
                self.error(
                    path,
                    qline,
                    "citation introuvable dans data/source (à recopier mot pour mot) : "
                    f"« {quote[:80]} »",
                )
        if answer and quotes:
            self.numbers(path, item.key_lines["answer"], answer, [q for q, _ in quotes])
        texts = list(phrasings)
        if question:
            texts.insert(0, (question, item.key_lines["question"]))
        valid = len(self.errors) == n_errors and bool(entry_id and question and answer)
        built = None
        if valid:
            built = FaqEntry(
                id=entry_id,
                theme=theme,
                question=question,
                answer=answer,
                phrasings=tuple(t for t, _ in phrasings),
                source=tuple(q for q, _ in quotes),
                related=tuple(r for r, _ in related),
                path=str(path),
                line=line,
            )
        if not entry_id:
            return None
        return _RawEntry(entry_id, path, item.key_lines["id"], texts, related, built)

    def numbers(self, path: Path, line: int, answer: str, quotes: list[str]) -> None:
        # A number in an answer is a medical fact (a duration, a dose, a count): it must come
        # from the quoted source, never from memory.
        allowed = set(_NUMBER_RE.findall(" ".join(quotes)))
        for number in _NUMBER_RE.findall(_PLACEHOLDER_RE.sub("", answer)):
            if number not in allowed:
                self.error(
                    path,
                    line,
                    f"le nombre « {number} » de la réponse ne figure dans aucune citation source",
                )


@dataclass(frozen=True)
class _RawEntry:
    """What the cross-entry checks need from one entry, with its lines."""

    id: str
    path: Path
    id_line: int
    texts: list[tuple[str, int]]  # question and phrasings
    related: list[tuple[str, int]]
    built: FaqEntry | None  # None when the entry itself has errors


def _load(faq_dir: Path, source_dir: Path) -> tuple[Faq | None, list[CheckError]]:
    loader = _Loader(faq_dir, source_dir)
    files = loader.yaml_files()
    source = loader.source_text()
    by_name = {p.name: p for p in files}
    groups = loader.synonyms(by_name[SYNONYMS_FILE]) if SYNONYMS_FILE in by_name else []
    synonyms = Synonyms(groups)
    smalltalk = loader.smalltalk(by_name[SMALLTALK_FILE]) if SMALLTALK_FILE in by_name else []
    offtopics = (
        loader.offtopics(by_name[OFFTOPIC_FILE], synonyms) if OFFTOPIC_FILE in by_name else []
    )

    themes: list[tuple[str, list[_RawEntry]]] = []
    theme_files = [p for p in files if p.name not in SPECIAL_FILES]
    if files and not theme_files:
        loader.error(faq_dir, 0, "aucun fichier de thème (*.yaml) dans le dossier de la FAQ")
    for path in theme_files:
        loaded = loader.theme_file(path, source)
        if loaded is not None:
            themes.append(loaded)
    raw = [e for _, es in themes for e in es]
    _check_ids(loader, raw)
    _check_phrasings(loader, raw, synonyms)
    _check_related(loader, raw)

    if loader.errors:
        return None, loader.errors
    built = [(t, [e.built for e in es if e.built is not None]) for t, es in themes]
    return Faq(built, synonyms, smalltalk, offtopics), []


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
