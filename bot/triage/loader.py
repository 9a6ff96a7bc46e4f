"""Loading and checking ``data/triage.yaml``: every problem reported with its ``file:line``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, cast

from bot.normalize import fold, raw_tokens
from bot.triage.context import CONTEXT_KEYS, ContextGroups
from bot.triage.net import WEIGHTS_PATH, SafetyNet, cached_net
from bot.triage.pattern import (
    ALT_RE,
    Lexicon,
    Matcher,
    PatternError,
    expand_tokens,
    parse_pattern,
)
from bot.triage.rules import (
    ALL_SEVERITIES,
    HUMAN_REQUEST_ID,
    Category,
    Severity,
    TriageRules,
    is_severity,
)
from bot.yamlfile import CheckError, ContentError, LineDict, LineList, load_yaml

_PLACEHOLDERS: Final = frozenset({"hotline"})
_DEFAULT_GAP: Final = 3
_DEFAULT_WINDOW: Final = 2
_ID_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER_RE: Final = re.compile(r"\{([^{}]*)\}")

# --- loading and checking -----------------------------------------------------------------

_TOP_KEYS: Final = (
    "max_gap",
    "severities",
    "clause_separators",
    "negation",
    "questions",
    "no_typo",
    "context",
    "categories",
)
_CATEGORY_KEYS: Final = (
    "id",
    "label",
    "severity",
    "skip_when_question",
    "patterns",
    "exclusions",
    "veto",
    "reply",
    "reply_en",
)


class _Builder:
    """Validates the YAML tree and compiles it, collecting every error with its line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[CheckError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(CheckError(str(self.path), line, message))

    # small typed accessors -----------------------------------------------------------------

    def key_line(self, mapping: Any, key: str) -> int:
        if isinstance(mapping, LineDict):
            return mapping.key_lines.get(key, mapping.line)
        return 0

    def line_of(self, mapping: Any) -> int:
        return mapping.line if isinstance(mapping, LineDict | LineList) else 0

    def item_line(self, seq: Any, i: int, default: int) -> int:
        if isinstance(seq, LineList) and i < len(seq.item_lines):
            return seq.item_lines[i]
        return default

    def unknown_keys(self, mapping: LineDict, allowed: Sequence[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.error(
                    self.key_line(mapping, key),
                    f"clé inconnue « {key} » {where} (clés possibles : {', '.join(allowed)})",
                )

    def mapping(self, parent: LineDict, key: str, where: str) -> LineDict | None:
        value = parent.get(key)
        if value is None:
            self.error(parent.line, f"« {key} » manquant {where}")
            return None
        if not isinstance(value, LineDict):
            self.error(self.key_line(parent, key), f"« {key} » doit être une liste de clés")
            return None
        # Problems with the section as a whole ("vital" missing) point at its own key line.
        value.line = self.key_line(parent, key)
        return value

    def text_list(self, parent: LineDict, key: str, *, required: bool) -> list[tuple[str, int]]:
        """A list of non-empty strings, with the line of each item."""
        line = self.key_line(parent, key)
        value = parent.get(key)
        if value is None:
            if key in parent:
                self.error(line, f"« {key} » est vide")
            elif required:
                self.error(parent.line, f"« {key} » manquant")
            return []
        if not isinstance(value, list):
            self.error(line, f"« {key} » doit être une liste (lignes commençant par « - »)")
            return []
        items: list[tuple[str, int]] = []
        for i, item in enumerate(value):
            item_line = self.item_line(value, i, line)
            if isinstance(item, bool):
                self.error(
                    item_line,
                    f"élément de « {key} » lu comme vrai/faux : mettez les mots on, off, yes, "
                    'no, true, false entre guillemets (ex. : "on")',
                )
            elif not isinstance(item, str | int):
                self.error(item_line, f"élément de « {key} » : un texte est attendu")
            elif str(item).strip() == "":
                self.error(item_line, f"élément vide dans « {key} »")
            else:
                items.append((str(item), item_line))
        if required and not value:
            self.error(line, f"« {key} » ne peut pas être une liste vide")
        return items

    def int_value(self, parent: LineDict, key: str, default: int, lo: int, hi: int) -> int:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.error(
                self.key_line(parent, key),
                f"« {key} » doit être un nombre entier entre {lo} et {hi}",
            )
            return default
        return value

    def patterns(
        self, matcher: Matcher, group: int, items: Iterable[tuple[str, int]], *, typos: bool
    ) -> None:
        for text, line in items:
            try:
                parsed = parse_pattern(text)
            except PatternError as exc:
                self.error(line, str(exc))
                continue
            matcher.add(group, parsed, typos=typos)

    def words(self, items: Iterable[tuple[str, int]], key: str) -> list[tuple[str, ...]]:
        """Plain word sequences (no pattern syntax), normalised like messages."""
        out: list[tuple[str, ...]] = []
        for text, line in items:
            if re.search(r"[|*+=]", text):
                self.error(line, f"« {key} » : mots simples attendus, sans « | * + = »")
                continue
            toks = expand_tokens(raw_tokens(text))
            if not toks:
                self.error(line, f"élément vide dans « {key} »")
                continue
            out.append(tuple(toks))
        return out

    # the file ----------------------------------------------------------------------------

    def reply_text(self, entry: LineDict, field: str, where: str) -> str | None:
        """A reply template: non-empty, with {hotline} and no other placeholder."""
        reply = entry.get(field)
        line = self.key_line(entry, field)
        if not isinstance(reply, str) or not reply.strip():
            self.error(line, f"« {where} » : « {field} » manquant ou vide")
            return None
        names = _PLACEHOLDER_RE.findall(reply)
        for name in names:
            if name not in _PLACEHOLDERS:
                self.error(
                    line,
                    f"« {where} » : espace réservé inconnu « {{{name}}} » "
                    "(seul {hotline} existe)",
                )
        if "hotline" not in names:
            self.error(line, f"« {where} » : la réponse doit contenir {{hotline}} (le numéro)")
        rest = _PLACEHOLDER_RE.sub("", reply)
        if "{" in rest or "}" in rest:
            self.error(line, f"« {where} » : accolade « {{ » ou « }} » non appariée")
        return reply.strip()

    def severities(
        self, root: LineDict
    ) -> tuple[dict[Severity, str], dict[Severity, str], dict[Severity, str]]:
        replies: dict[Severity, str] = {}
        replies_en: dict[Severity, str] = {}
        labels: dict[Severity, str] = {}
        node = self.mapping(root, "severities", "à la racine du fichier")
        if node is None:
            return replies, labels, replies_en
        for key in node:
            if key not in ALL_SEVERITIES:
                self.error(
                    self.key_line(node, key),
                    f"gravité inconnue « {key} » (gravités possibles : "
                    f"{', '.join(ALL_SEVERITIES)})",
                )
        for sev in ALL_SEVERITIES:
            entry = node.get(sev)
            if entry is None:
                self.error(node.line, f"gravité « {sev} » manquante dans « severities »")
                continue
            if not isinstance(entry, LineDict):
                self.error(self.key_line(node, sev), f"« {sev} » : attendu « label » et « reply »")
                continue
            self.unknown_keys(entry, ("label", "reply", "reply_en"), f"dans « {sev} »")
            label = entry.get("label")
            if isinstance(label, str) and label.strip():
                labels[sev] = label.strip()
            else:
                self.error(self.key_line(entry, "label"), f"« {sev} » : « label » manquant ou vide")
            for field, out in (("reply", replies), ("reply_en", replies_en)):
                text = self.reply_text(entry, field, sev)
                if text is not None:
                    out[sev] = text
        return replies, labels, replies_en

    def build(self) -> TriageRules | None:
        try:
            root = load_yaml(self.path)
        except ContentError as exc:
            self.errors.extend(exc.errors)
            return None
        if not isinstance(root, LineDict):
            self.error(self.line_of(root) or 1, "le fichier doit être une liste de clés")
            return None
        self.unknown_keys(root, _TOP_KEYS, "à la racine du fichier")
        max_gap = self.int_value(root, "max_gap", _DEFAULT_GAP, 0, 10)
        replies, labels, replies_en = self.severities(root)
        separators = self.words(
            self.text_list(root, "clause_separators", required=False), "clause_separators"
        )

        no_typo_words: set[str] = set()
        no_typo_prefixes: list[str] = []
        for text, line in self.text_list(root, "no_typo", required=False):
            word = fold(text).strip()
            m = ALT_RE.fullmatch(word)
            if m is None or m.group(1):
                self.error(line, f"« no_typo » : un mot ou un préfixe (mot*) attendu : « {text} »")
            elif m.group(3):
                no_typo_prefixes.append(m.group(2))
            else:
                no_typo_words.add(m.group(2))
        matcher = Matcher(Lexicon(frozenset(no_typo_words), tuple(no_typo_prefixes)), max_gap)

        cues_group = matcher.new_group()
        adjacent_group = matcher.new_group()
        clause_start_group = matcher.new_group()
        pseudo_group = matcher.new_group()
        window = _DEFAULT_WINDOW
        breakers: set[str] = set()
        negation = self.mapping(root, "negation", "à la racine du fichier")
        if negation is not None:
            self.unknown_keys(
                negation,
                ("window", "cues", "adjacent_cues", "clause_start_cues", "pseudo", "breakers"),
                "dans « negation »",
            )
            window = self.int_value(negation, "window", _DEFAULT_WINDOW, 0, 5)
            # Typo tolerance only where it can add an alert, never where it can remove one:
            # negation cues, question markers and exclusions match exactly.
            cues = self.text_list(negation, "cues", required=True)
            self.patterns(matcher, cues_group, cues, typos=False)
            adjacent = self.text_list(negation, "adjacent_cues", required=False)
            self.patterns(matcher, adjacent_group, adjacent, typos=False)
            starts = self.text_list(negation, "clause_start_cues", required=False)
            self.patterns(matcher, clause_start_group, starts, typos=False)
            # Pseudo-negations only ever keep an alert, so they may tolerate typos.
            pseudo = self.text_list(negation, "pseudo", required=False)
            self.patterns(matcher, pseudo_group, pseudo, typos=True)
            for seq in self.words(self.text_list(negation, "breakers", required=False), "breakers"):
                breakers.update(seq)

        questions_group = matcher.new_group()
        reports_group = matcher.new_group()
        questions = self.mapping(root, "questions", "à la racine du fichier")
        if questions is not None:
            self.unknown_keys(questions, ("markers", "reports"), "dans « questions »")
            markers = self.text_list(questions, "markers", required=True)
            self.patterns(matcher, questions_group, markers, typos=False)
            reports = self.text_list(questions, "reports", required=True)
            self.patterns(matcher, reports_group, reports, typos=True)

        context = self.context(root, matcher)
        categories = self.categories(root, matcher)
        if self.errors:
            return None
        return TriageRules(
            source=self.path,
            matcher=matcher,
            categories=categories,
            replies=replies,
            severity_labels=labels,
            separators=separators,
            negation_cues=cues_group,
            adjacent_cues=adjacent_group,
            negation_window=window,
            breakers=frozenset(breakers),
            question_markers=questions_group,
            report_markers=reports_group,
            pseudo_negations=pseudo_group,
            clause_start_cues=clause_start_group,
            context=context,
            replies_en=replies_en,
        )

    def context(self, root: LineDict, matcher: Matcher) -> ContextGroups:
        """The ConText trigger lists; they match exactly (no typo tolerance): a typo could
        otherwise turn a report into a story."""
        ids = {key: matcher.new_group() for key in CONTEXT_KEYS}
        node = self.mapping(root, "context", "à la racine du fichier")
        if node is not None:
            self.unknown_keys(node, CONTEXT_KEYS, "dans « context »")
            for key in CONTEXT_KEYS:
                items = self.text_list(node, key, required=True)
                self.patterns(matcher, ids[key], items, typos=False)
        return ContextGroups(**ids)

    def categories(self, root: LineDict, matcher: Matcher) -> list[Category]:
        out: list[Category] = []
        node = root.get("categories")
        if node is None:
            self.error(root.line, "« categories » manquant à la racine du fichier")
            return out
        if not isinstance(node, list) or not node:
            self.error(self.key_line(root, "categories"), "« categories » doit être une liste")
            return out
        seen: dict[str, int] = {}
        for i, item in enumerate(node):
            line = self.item_line(node, i, self.key_line(root, "categories"))
            if not isinstance(item, LineDict):
                self.error(line, "chaque catégorie doit être une liste de clés (id, label...)")
                continue
            self.unknown_keys(item, _CATEGORY_KEYS, "dans la catégorie")
            cid = item.get("id")
            if not isinstance(cid, str) or not _ID_RE.fullmatch(cid):
                self.error(
                    self.key_line(item, "id"),
                    "« id » manquant ou invalide (lettres minuscules, chiffres et _)",
                )
                cid = None
            elif cid in seen:
                self.error(
                    self.key_line(item, "id"),
                    f"id « {cid} » en double (déjà utilisé ligne {seen[cid]})",
                )
            else:
                seen[cid] = self.key_line(item, "id")
            label = item.get("label")
            if not isinstance(label, str) or not label.strip():
                self.error(self.key_line(item, "label"), "« label » manquant ou vide")
            severity = item.get("severity")
            if severity is None:
                self.error(item.line, "« severity » manquant")
            elif not is_severity(severity):
                self.error(
                    self.key_line(item, "severity"),
                    f"gravité inconnue « {severity} » (gravités possibles : "
                    f"{', '.join(ALL_SEVERITIES)})",
                )
            skip = item.get("skip_when_question", True)
            if not isinstance(skip, bool):
                self.error(
                    self.key_line(item, "skip_when_question"),
                    "« skip_when_question » doit valoir true ou false",
                )
            patterns = matcher.new_group()
            exclusions = matcher.new_group()
            veto = matcher.new_group()
            found = self.text_list(item, "patterns", required=True)
            self.patterns(matcher, patterns, found, typos=True)
            excluded = self.text_list(item, "exclusions", required=False)
            self.patterns(matcher, exclusions, excluded, typos=False)
            vetoes = self.text_list(item, "veto", required=False)
            self.patterns(matcher, veto, vetoes, typos=False)
            own: dict[str, str | None] = {"reply": None, "reply_en": None}
            for field in own:
                if field in item:
                    own[field] = self.reply_text(item, field, str(cid))
            if cid is not None and isinstance(label, str) and is_severity(severity):
                out.append(
                    Category(
                        id=cid,
                        label=label.strip(),
                        severity=cast(Severity, severity),
                        skip_when_question=skip if isinstance(skip, bool) else True,
                        patterns=patterns,
                        exclusions=exclusions,
                        veto=veto,
                        reply=own["reply"],
                        reply_en=own["reply_en"],
                    )
                )
        human = [c for c in out if c.id == HUMAN_REQUEST_ID]
        if not human and HUMAN_REQUEST_ID not in seen:
            self.error(
                self.key_line(root, "categories"),
                f"catégorie « {HUMAN_REQUEST_ID} » obligatoire (utilisée par la commande /urgence)",
            )
        elif human and human[0].severity != "humain":
            self.error(
                seen.get(HUMAN_REQUEST_ID, 0),
                f"la catégorie « {HUMAN_REQUEST_ID} » doit avoir la gravité « humain »",
            )
        return out


def check_triage(path: Path) -> list[CheckError]:
    """Every problem in a triage rules file, each with ``file:line``; empty when usable."""
    builder = _Builder(path)
    builder.build()
    return builder.errors


def load_triage(path: Path, net: Path | None = WEIGHTS_PATH) -> TriageRules:
    """Load and compile the rules, with the safety net's weights (``net=None``: rules only);
    raise ContentError listing every problem found."""
    builder = _Builder(path)
    rules = builder.build()
    if net is not None:
        try:
            rules_net: SafetyNet | None = cached_net(net)
        except (OSError, ValueError) as exc:
            # Never silently without the net: the bot refuses to start, `check` says why.
            builder.errors.append(CheckError(str(net), 0, f"filet de sécurité illisible : {exc}"))
            rules_net = None
        if rules is not None:
            rules.net = rules_net
    if rules is None or builder.errors:
        raise ContentError(builder.errors)
    return rules
