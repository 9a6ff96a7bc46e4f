"""Urgency detection: red-flag rules from ``data/triage.yaml``, run on every patient message.

Triage runs before the FAQ. Its one job is to never let an emergency go unanswered: a
patient writing "je saigne beaucoup depuis ce matin" at 3 a.m. must get the phone numbers at
once and the staff must be alerted. When in doubt the rules escalate; a missed emergency is
far worse than an extra alert.

Pattern language (the same one is documented in French at the top of the YAML file)
-----------------------------------------------------------------------------------
Both the message and the patterns are normalised the same way (:mod:`bot.normalize`: lower
case, no accents, elisions split, SMS forms expanded, plus the few extra forms below).

* ``fievre`` - a word. In symptom patterns, words of 6 letters or more also match a token
  (of 5 letters or more) one typo away: a letter added, dropped or changed, or two
  neighbouring letters swapped ("fiebre", "siagne"), unless the token is listed in
  ``no_typo`` (real words one letter away from a watched one: "baigner", "courir").
* ``saign*`` - a prefix: any token starting with ``saign`` (3 letters minimum). Prefixes of 7
  letters or more are typo tolerant too.
* ``=mot`` - no typo tolerance for this word.

Typos are tolerated only where they can add an alert (symptom patterns, report markers),
never where they could remove one (exclusions, negation cues, question markers).
* ``vois|voit`` - alternatives for one word position. ``|`` binds tighter than ``+`` and
  spaces: ``pas+de|d`` is "pas" followed by "de" or "d". Variants of several words are
  written as several patterns.
* ``du mal avaler`` - words in this order, with up to ``max_gap`` (default 3) other words
  between two consecutive ones ("j'ai du mal a bien avaler").
* ``pas+de`` - words glued by ``+`` must follow each other directly.

A pattern never spans two clauses. Clauses end at punctuation (``. , ; : ! ?``, line breaks)
and at the ``clause_separators`` words ("mais", "par contre"...); a full stop, question mark,
line break or separator word also ends the sentence.

How a message is judged, for each category
------------------------------------------
1. A pattern matches somewhere in a clause.
2. Exclusions: the match is dropped when one of the category's ``exclusions`` matches
   overlapping words ("ne saigne plus", "mal au coeur" for nausea), unless the match starts
   at the same word as the exclusion and goes further (the more specific wording wins).
3. Nominal negation: the match is dropped when a negation cue ("pas de", "aucun", "sans",
   "ni", "n'... plus de"...) ends at most ``negation.window`` words before it, in the same
   sentence, with none of the ``negation.breakers`` words ("je", "mais"...) in between;
   ``negation.adjacent_cues`` ("pas": "pas rouge", "pas essoufflee") count only directly
   before it. A cue that is part of the match does not count, so a symptom that is itself
   an absence ("plus de force", "pas d'urine") is written with its negation inside the
   pattern. A negated symptom passes its negation on to the next one in a list ("pas de
   fievre, de frissons ni de saignement"). Verbal negation ("je ne peux pas respirer") is
   never a cancellation: it is usually the symptom itself.
4. Questions: when ``skip_when_question`` is true (the default), the match is dropped if a
   question marker ("y a-t-il", "risque", "est-il possible"...) comes before it in the same
   clause and no report marker ("je", "depuis", "mon"...) is in that clause outside the
   question markers. "Est-ce que ca peut donner de la fievre ?" is a question; "est-ce
   normal d'avoir de la fievre ?" and "j'ai de la fievre, est-ce normal ?" are reports.

The result carries every category left, most severe first; its severity is the highest one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

from rapidfuzz.distance import OSA

from bot import texts
from bot.normalize import SMS_FORMS, fold, raw_tokens
from bot.triage.context import CONTEXT_KEYS, ContextGroups, Layout, Verdict, judge
from bot.triage.forms import EXTRA_FORMS
from bot.triage.net import WEIGHTS_PATH, SafetyNet, cached_net
from bot.yamlfile import CheckError, ContentError, LineDict, LineList, load_yaml

Severity = Literal["vital", "detresse", "urgent", "humain", "concern"]

#: The severities that raise an alert, most severe first.
SEVERITY_ORDER: Final[tuple[Severity, ...]] = ("vital", "detresse", "urgent", "humain")
#: Not an alert: a first-person symptom that is not a red flag. Staff get a non-urgent note.
CONCERN: Final = "concern"
ALL_SEVERITIES: Final[tuple[Severity, ...]] = (*SEVERITY_ORDER, "concern")

#: The category the /urgence command produces; the rules file must define it.
HUMAN_REQUEST_ID: Final = "demande_humain"
#: The safety net's alert: not a rules category; its reply and label live in bot/texts.py.
NET_CATEGORY: Final = "filet"
NET_SEVERITY: Final[Severity] = "urgent"

_PLACEHOLDERS: Final = frozenset({"hotline"})
_MIN_PREFIX: Final = 3
# Typo tolerance is limited to long words: one letter away from a short word is usually
# another common word ("sang"/"sans", "mains"/"moins", "coule"/"coute", "fuite"/"suite";
# measured against a French word list). A prefix one letter away matches far more real words
# than a whole word does ("saign*" ~ "baignade", "degre*" ~ "decredite"), so prefixes need
# more letters still. Tokens shorter than _MIN_FUZZY_TOKEN are never corrected.
_MIN_FUZZY_TOKEN: Final = 5
_MIN_FUZZY: Final = 6
_MIN_FUZZY_PREFIX: Final = 7
_DEFAULT_GAP: Final = 3
_DEFAULT_WINDOW: Final = 2
_MAX_CACHE: Final = 50_000


# "c'est" arrives as "c" + "est"; the shared table would turn "c" into "c est" and give
# "c est est". Only a lone "c" ("c grave") is the SMS form.
_C_FOLLOWERS: Final = frozenset({"est", "etait", "etais", "etaient"})
_VOWELS: Final = frozenset("aeiouyh")

# Words that may sit between a negated symptom and the next one of a list and carry the
# negation on: "pas de fievre, de frissons ni de saignement". "du/des/de la" are left out on
# purpose: French drops them after a negation, so "pas de fievre, des saignements" reports
# bleeding.
_LIST_GLUE: Final = frozenset({"de", "d", "ni", "ou", "et", "or", "nor"})
# English "or" after a negation is distributive ("no fever or bleeding"); French "ou" is not.
_LIST_LINK: Final = frozenset({"de", "d", "ni", "or", "nor"})
_LIST_MAX: Final = 3

_APOSTROPHES: Final = "'’‘`´ʼ′"
_PATTERN_CHARS: Final = re.compile(r"[^a-z0-9|*+= \t]")
_ALT_RE: Final = re.compile(r"(=?)([a-z0-9]+)(\*?)")
_ID_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER_RE: Final = re.compile(r"\{([^{}]*)\}")
# Sentence ends: . ! ? ; : and line breaks; a decimal point ("38.5") is not one.
# Clause ends (weak): commas (not decimal commas), brackets, spaced dashes.
_SEP_RE: Final = re.compile(
    r"(?P<strong>[!?;:\n\r]+|(?<!\d)\.|\.(?!\d))|(?P<weak>(?<!\d),|,(?!\d)|[()\[\]]|\s[-–—]+\s)"
)


def severity_rank(severity: str) -> int:
    """Higher is more severe: vital 4, detresse 3, urgent 2, humain 1; concern (not an
    alert) and unknown values 0."""
    try:
        return len(SEVERITY_ORDER) - SEVERITY_ORDER.index(cast(Severity, severity))
    except ValueError:
        return 0


def is_severity(value: object) -> bool:
    return isinstance(value, str) and value in ALL_SEVERITIES


@dataclass(frozen=True)
class TriageResult:
    """What triage found in one message (never the message itself)."""

    severity: Severity
    categories: tuple[str, ...]  # category ids, most severe first
    labels: tuple[str, ...]  # French labels for staff, same order
    # Only the safety net (not the rules) flagged the message: staff see "à vérifier".
    net_only: bool = False
    # The message is not in French: the patient reply adds an English version.
    english: bool = False

    @property
    def is_alert(self) -> bool:
        return self.severity != CONCERN


# --- normalisation ------------------------------------------------------------------------


def _expand_word(word: str) -> list[str]:
    rep = EXTRA_FORMS.get(word) or SMS_FORMS.get(word)
    if rep is not None:
        return rep.split()
    # No French word starts with "j" + consonant: "jsaigne", "jrespire" are "je ...".
    if len(word) >= 3 and word[0] == "j" and word[1] not in _VOWELS and not word[1].isdigit():
        return ["je", word[1:]]
    return [word]


def _expand_tokens(raw: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok == "c" and i + 1 < len(raw) and raw[i + 1] in _C_FOLLOWERS:
            out.append(tok)
        else:
            out.extend(_expand_word(tok))
    return out


@dataclass
class _Text:
    tokens: list[str]
    sentence: list[int]
    clause: list[int]


# --- patterns -----------------------------------------------------------------------------


class PatternError(ValueError):
    """A malformed pattern; the message is in French, for the admin."""


@dataclass(frozen=True)
class _Alt:
    word: str
    prefix: bool
    exact: bool


# One position of a pattern: its alternatives, and whether it must directly follow the
# previous position ("+") rather than within the allowed gap.
_ParsedStep = tuple[tuple[_Alt, ...], bool]


def parse_pattern(text: str) -> list[_ParsedStep]:
    """Parse one pattern; raise PatternError with a French message when it is malformed."""
    src = fold(text)
    for a in _APOSTROPHES + "-":
        src = src.replace(a, " ")
    bad = sorted(set(_PATTERN_CHARS.findall(src)))
    if bad:
        shown = " ".join(f"« {c} »" for c in bad)
        raise PatternError(f"caractère non autorisé {shown} dans le motif « {text} »")
    groups = src.split()
    if not groups:
        raise PatternError("motif vide")
    steps: list[_ParsedStep] = []
    for group in groups:
        if group.startswith("+") or group.endswith("+") or "++" in group:
            raise PatternError(
                f"« + » doit relier deux mots sans espace (ex. : pas+de) dans « {text} »"
            )
        for n, part in enumerate(group.split("+")):
            glued = n > 0
            alts_text = part.split("|")
            if any(a == "" for a in alts_text):
                raise PatternError(
                    f"alternative vide dans « {part} » (« | » en trop) dans le motif « {text} »"
                )
            alts: list[_Alt] = []
            spliced: list[str] | None = None
            for alt in alts_text:
                m = _ALT_RE.fullmatch(alt)
                if m is None:
                    if alt.strip("=*") == "":
                        raise PatternError(
                            f"« {alt} » seul ne désigne aucun mot dans le motif « {text} »"
                        )
                    raise PatternError(
                        f"mot mal formé « {alt} » dans le motif « {text} » "
                        "(« = » seulement devant, « * » seulement à la fin)"
                    )
                exact, word, prefix = m.group(1) == "=", m.group(2), m.group(3) == "*"
                if prefix:
                    if len(word) < _MIN_PREFIX:
                        raise PatternError(
                            f"préfixe « {word}* » trop court ({_MIN_PREFIX} lettres minimum) "
                            f"dans le motif « {text} »"
                        )
                    alts.append(_Alt(word, True, exact))
                    continue
                # A pattern word goes through the same SMS expansion as messages ("jsuis" ->
                # "je suis"), except "c", which messages keep before "est".
                words = [word] if word == "c" else _expand_word(word)
                if len(words) > 1 and len(alts_text) > 1:
                    raise PatternError(
                        f"« {word} » s'écrit en plusieurs mots (« {' '.join(words)} ») : "
                        f"écrivez-le en entier, hors des « | », dans le motif « {text} »"
                    )
                if len(words) > 1:
                    spliced = words
                alts.append(_Alt(words[0], False, exact))
            steps.append((tuple(alts), glued))
            if spliced is not None:
                exact = alts[0].exact
                steps.extend(((_Alt(w, False, exact),), True) for w in spliced[1:])
    return steps


@dataclass(frozen=True)
class _Step:
    atoms: frozenset[int]
    glued: bool


@dataclass(frozen=True)
class _Pattern:
    group: int
    steps: tuple[_Step, ...]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class _Lexicon:
    """Which pattern words ("atoms") each message token matches, typos included.

    Typo candidates are found with a deletion index (a token and a word one edit apart
    share a key once at most one letter is deleted from each), then confirmed with the
    optimal-string-alignment distance, which counts a swap of two neighbouring letters
    ("sainge") as one typo. Both are cheap, so the cost per message does not grow with the
    number of patterns; results are cached per token.
    """

    def __init__(self, no_typo_words: frozenset[str], no_typo_prefixes: tuple[str, ...]) -> None:
        self.atoms: list[_Alt] = []
        self._ids: dict[_Alt, int] = {}
        self._no_typo_words = no_typo_words
        self._no_typo_prefixes = no_typo_prefixes
        self._exact: dict[str, set[int]] = {}
        self._prefix: dict[int, dict[str, set[int]]] = {}
        self._fuzzy_words: dict[str, set[int]] = {}
        self._fuzzy_prefix: dict[int, dict[str, set[int]]] = {}
        self._cache: dict[str, frozenset[int]] = {}

    def atom(self, alt: _Alt) -> int:
        found = self._ids.get(alt)
        if found is not None:
            return found
        aid = len(self.atoms)
        self.atoms.append(alt)
        self._ids[alt] = aid
        fuzzy = not alt.exact and len(alt.word) >= (_MIN_FUZZY_PREFIX if alt.prefix else _MIN_FUZZY)
        if alt.prefix:
            self._prefix.setdefault(len(alt.word), {}).setdefault(alt.word, set()).add(aid)
            if fuzzy:
                index = self._fuzzy_prefix.setdefault(len(alt.word), {})
                for key in _deletions(alt.word) | {alt.word}:
                    index.setdefault(key, set()).add(aid)
        else:
            self._exact.setdefault(alt.word, set()).add(aid)
            if fuzzy:
                for key in _deletions(alt.word) | {alt.word}:
                    self._fuzzy_words.setdefault(key, set()).add(aid)
        return aid

    def _typo_ok(self, token: str) -> bool:
        if len(token) < _MIN_FUZZY_TOKEN or token.isdigit() or token in self._no_typo_words:
            return False
        return not token.startswith(self._no_typo_prefixes)

    def lookup(self, token: str) -> frozenset[int]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found: set[int] = set(self._exact.get(token, ()))
        for length, index in self._prefix.items():
            if len(token) >= length:
                found.update(index.get(token[:length], ()))
        if self._typo_ok(token):
            keys = _deletions(token) | {token}
            for key in keys:
                for aid in self._fuzzy_words.get(key, ()):
                    if OSA.distance(token, self.atoms[aid].word, score_cutoff=1) <= 1:
                        found.add(aid)
            for length, index in self._fuzzy_prefix.items():
                for k in (length - 1, length, length + 1):
                    if k > len(token):
                        continue
                    head = token[:k]
                    for key in _deletions(head) | {head}:
                        for aid in index.get(key, ()):
                            if OSA.distance(head, self.atoms[aid].word, score_cutoff=1) <= 1:
                                found.add(aid)
        result = frozenset(found)
        if len(self._cache) >= _MAX_CACHE:
            self._cache.clear()
        self._cache[token] = result
        return result


class _Matcher:
    """All patterns of the rules file, grouped; one scan of a message finds every group."""

    def __init__(self, lexicon: _Lexicon, max_gap: int) -> None:
        self.lexicon = lexicon
        self.max_gap = max_gap
        self.patterns: list[_Pattern] = []
        self._by_first: dict[int, list[int]] = {}
        self.groups = 0

    def new_group(self) -> int:
        self.groups += 1
        return self.groups - 1

    def add(self, group: int, parsed: list[_ParsedStep], *, typos: bool) -> None:
        """Register a pattern; ``typos=False`` turns typo tolerance off for all its words."""
        steps = tuple(
            _Step(
                frozenset(
                    self.lexicon.atom(a if typos else _Alt(a.word, a.prefix, True)) for a in alts
                ),
                glued,
            )
            for alts, glued in parsed
        )
        pid = len(self.patterns)
        self.patterns.append(_Pattern(group, steps))
        for aid in steps[0].atoms:
            self._by_first.setdefault(aid, []).append(pid)

    def scan(self, text: _Text) -> list[list[tuple[int, int]]]:
        """For each group, the (start, end) token spans matched, end inclusive."""
        toks = [self.lexicon.lookup(t) for t in text.tokens]
        found: list[list[tuple[int, int]]] = [[] for _ in range(self.groups)]
        seen: set[tuple[int, int]] = set()
        for start, atoms in enumerate(toks):
            for aid in atoms:
                for pid in self._by_first.get(aid, ()):
                    if (pid, start) in seen:
                        continue
                    seen.add((pid, start))
                    pat = self.patterns[pid]
                    end = self._match(pat, start, toks, text.clause)
                    if end is not None:
                        found[pat.group].append((start, end))
        return found

    def _match(
        self, pat: _Pattern, start: int, toks: list[frozenset[int]], clause: list[int]
    ) -> int | None:
        n = len(toks)
        where = clause[start]
        failed: set[tuple[int, int]] = set()  # (step, position) known to lead nowhere

        def extend(step: int, pos: int) -> int | None:
            if step == len(pat.steps):
                return pos
            if (step, pos) in failed:
                return None
            want = pat.steps[step]
            last = pos + 1 if want.glued else pos + 1 + self.max_gap
            for j in range(pos + 1, min(last, n - 1) + 1):
                if clause[j] != where:
                    break
                if toks[j] & want.atoms:
                    end = extend(step + 1, j)
                    if end is not None:
                        return end
            failed.add((step, pos))
            return None

        return extend(1, start)


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Category:
    id: str
    label: str
    severity: Severity
    skip_when_question: bool
    patterns: int  # matcher group
    exclusions: int  # matcher group
    veto: int  # matcher group: anywhere in the message, cancels the category
    reply: str | None = None  # overrides the severity's reply
    reply_en: str | None = None


@dataclass(frozen=True)
class Analysis:
    """Everything triage makes of one message (never the message itself).

    ``alert``: red flags reported now (None if none). ``concern``: first-person symptoms that
    are not red flags. ``asked``: red flags the patient asked about (hypothetical, risk):
    they get information and the line, without an alert.
    """

    alert: TriageResult | None
    concern: TriageResult | None
    asked: tuple[str, ...]
    dismissed: tuple[tuple[str, Verdict], ...]  # (category id, why) for the bench and tests


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _cancels(exclusion: tuple[int, int], match: tuple[int, int]) -> bool:
    """An exclusion cancels a match it overlaps, unless the match starts at the same word and
    goes further: the more specific wording wins ("ne saigne pas" is excluded, the pattern
    "saign*+pas+beaucoup" still reports "ne saigne pas beaucoup")."""
    if not _overlaps(exclusion, match):
        return False
    return not (match[0] == exclusion[0] and match[1] > exclusion[1])


# The net reads only messages with at least this many words of two letters or more.
NET_MIN_WORDS = 2
_WORD_RE = re.compile(r"[^\W\d_]{2,}")


class TriageRules:
    """Loaded, compiled triage rules. Build with :func:`load_triage`."""

    def __init__(
        self,
        *,
        source: Path,
        matcher: _Matcher,
        categories: Sequence[_Category],
        replies: Mapping[Severity, str],
        severity_labels: Mapping[Severity, str],
        separators: Sequence[tuple[str, ...]],
        negation_cues: int,
        adjacent_cues: int,
        negation_window: int,
        breakers: frozenset[str],
        question_markers: int,
        report_markers: int,
        pseudo_negations: int,
        clause_start_cues: int,
        context: ContextGroups,
        replies_en: Mapping[Severity, str],
        net: SafetyNet | None = None,
    ) -> None:
        self.source = source
        self.net = net
        self._matcher = matcher
        self.categories: tuple[_Category, ...] = tuple(categories)
        self._by_id = {c.id: c for c in self.categories}
        self._replies = dict(replies)
        self.severity_labels: Mapping[Severity, str] = dict(severity_labels)
        self._separators: dict[str, list[tuple[str, ...]]] = {}
        for seq in sorted(separators, key=len, reverse=True):
            self._separators.setdefault(seq[0], []).append(seq)
        self._cues = negation_cues
        self._adjacent_cues = adjacent_cues
        self._window = negation_window
        self._breakers = breakers
        self._questions = question_markers
        self._reports = report_markers
        self._pseudo = pseudo_negations
        self._clause_start_cues = clause_start_cues
        self._context = context
        self._replies_en = dict(replies_en)

    # --- public API -----------------------------------------------------------------------

    def assess(self, text: str) -> TriageResult | None:
        """The alert found in one patient message, or None when nothing is urgent."""
        return self.analyse(text).alert

    def analyse(self, text: str, *, english: bool = False) -> Analysis:
        """Red flags, concerns and questions about risk found in one message by the rules.

        ``english``: the caller found the message is not French; replies become bilingual.
        The safety net is asked separately (:meth:`net_alert`), by the caller that knows
        whether anything else understood the message.
        """
        return self._analyse_rules(text, english)

    def net_alert(
        self, text: str, found: Analysis, *, english: bool = False
    ) -> TriageResult | None:
        """The safety net's alert ("à vérifier", ``net_only``) for a message the rules found
        nothing in, or None.

        The net speaks only where the rules found nothing at all: no alert, no concern, no
        red flag asked about, negated or set aside by its context (past, someone else's,
        chronic). Where the rules recognised the symptom, their clause-level reading is the
        better judge: the net gets negations and hypotheticals wrong far more often than
        reports (measured in bench/triage_net.py and bench/triage.py)."""
        # Too few words to judge: "4/10", "ok", "??" are answers or noise that give the n-grams
        # nothing to read (the net flagged a typed pain score "4/10"); the rules alone judge
        # pain scores (8/10 and above alert).
        if self.net is None or len(_WORD_RE.findall(text)) < NET_MIN_WORDS:
            return None
        if found.alert is not None or found.concern is not None or found.asked or found.dismissed:
            return None
        if not self.net.judge(text).urgent:
            return None
        return TriageResult(
            severity=NET_SEVERITY,
            categories=(NET_CATEGORY,),
            labels=(texts.NET_CATEGORY_LABEL,),
            net_only=True,
            english=english,
        )

    def _analyse_rules(self, text: str, english: bool) -> Analysis:
        parsed = self._split(text)
        if not parsed.tokens:
            return Analysis(None, None, (), ())
        spans = self._matcher.scan(parsed)
        negated = self._negated(parsed, spans)
        layout = Layout(parsed.sentence, parsed.clause)
        hits: list[_Category] = []
        asked: list[str] = []
        dismissed: list[tuple[str, Verdict]] = []
        for cat in self.categories:
            if spans[cat.veto]:
                # A veto is the rule's own verdict ("urgent" about a lost form): the net must
                # not overrule it, so a vetoed match counts as set aside.
                if spans[cat.patterns]:
                    dismissed.append((cat.id, "negated"))
                continue
            excluded = spans[cat.exclusions]
            verdicts: list[Verdict] = []
            for span in spans[cat.patterns]:
                if span in negated or any(_cancels(x, span) for x in excluded):
                    verdicts.append("negated")
                    continue
                if cat.skip_when_question and self._is_question(parsed, spans, span):
                    verdicts.append("asked")
                    continue
                verdict = judge(
                    span,
                    layout,
                    spans,
                    self._context,
                    severity=cat.severity,
                    skip_when_question=cat.skip_when_question,
                )
                if verdict == "report":
                    hits.append(cat)
                    break
                verdicts.append(verdict)
            else:
                if "asked" in verdicts and cat.severity != CONCERN:
                    asked.append(cat.id)
                dismissed.extend((cat.id, v) for v in dict.fromkeys(verdicts))
        alerts = [c for c in hits if c.severity != CONCERN]
        concerns = [c for c in hits if c.severity == CONCERN]
        return Analysis(
            alert=self._result(alerts, english),
            concern=None if alerts else self._result(concerns, english),
            asked=tuple(asked),
            dismissed=tuple(dismissed),
        )

    @staticmethod
    def _result(hits: list[_Category], english: bool) -> TriageResult | None:
        if not hits:
            return None
        # Stable sort: equal severities keep the order of the rules file.
        hits = sorted(hits, key=lambda c: -severity_rank(c.severity))
        return TriageResult(
            severity=hits[0].severity,
            categories=tuple(c.id for c in hits),
            labels=tuple(c.label for c in hits),
            english=english,
        )

    def human_request(self) -> TriageResult:
        """What the /urgence command produces: an explicit request for a person."""
        cat = self._by_id[HUMAN_REQUEST_ID]
        return TriageResult(severity=cat.severity, categories=(cat.id,), labels=(cat.label,))

    def reply(self, result: TriageResult, hotline: str) -> str:
        """The plain-text patient reply, hotline filled in: the first category of the top
        severity with its own reply, else the severity's; French then English for a message
        in English."""
        if result.net_only:
            text = texts.NET_CHECK_REPLY
            if result.english:
                text = f"{text}\n\n🇬🇧 {texts.NET_CHECK_REPLY_EN}"
            return text.replace("{hotline}", hotline)
        top = [self._by_id[c] for c in result.categories if c in self._by_id]
        own = next((c for c in top if c.severity == result.severity and c.reply), None)
        text = own.reply if own and own.reply else self._replies[result.severity]
        if result.english:
            en = own.reply_en if own and own.reply_en else self._replies_en[result.severity]
            text = f"{text}\n\n🇬🇧 {en}"
        return text.replace("{hotline}", hotline)

    def severity_label(self, severity: str) -> str:
        """The staff-facing label of a severity ("🔴 Urgence vitale"); the raw name if unknown."""
        return self.severity_labels.get(cast(Severity, severity), severity)

    def category_label(self, category_id: str) -> str:
        """The staff-facing label of a category; the id itself if unknown."""
        if category_id == NET_CATEGORY:
            return texts.NET_CATEGORY_LABEL
        cat = self._by_id.get(category_id)
        return cat.label if cat is not None else category_id

    def severity_of(self, category_id: str) -> Severity:
        """The severity of a category (KeyError if unknown)."""
        return self._by_id[category_id].severity

    # --- internals ------------------------------------------------------------------------

    def _split(self, text: str) -> _Text:
        out = _Text([], [], [])
        folded = fold(text)
        counters = [0, 0]  # sentence, clause

        def emit(piece: str) -> None:
            toks = _expand_tokens(raw_tokens(piece))
            i = 0
            while i < len(toks):
                seq = self._separator_at(toks, i)
                if seq:
                    counters[0] += 1
                    counters[1] += 1
                    i += seq
                    continue
                out.tokens.append(toks[i])
                out.sentence.append(counters[0])
                out.clause.append(counters[1])
                i += 1

        pos = 0
        for m in _SEP_RE.finditer(folded):
            emit(folded[pos : m.start()])
            if m.group("strong"):
                counters[0] += 1
            counters[1] += 1
            pos = m.end()
        emit(folded[pos:])
        return out

    def _separator_at(self, toks: list[str], i: int) -> int:
        for seq in self._separators.get(toks[i], ()):
            if tuple(toks[i : i + len(seq)]) == seq:
                return len(seq)
        return 0

    def _negated(self, text: _Text, spans: list[list[tuple[int, int]]]) -> set[tuple[int, int]]:
        """Symptom spans cancelled by a nominal negation ("pas de fievre")."""
        # A cue inside a pseudo-negation ("n'arrete pas de saigner", "pas seulement") is not
        # one; "plus de" negates only at the head of its clause ("plus de fievre depuis
        # samedi"), since "j'ai plus de fievre" may mean "more".
        pseudo = spans[self._pseudo]
        cues = [(c, self._window) for c in spans[self._cues]]
        cues += [(c, 0) for c in spans[self._adjacent_cues]]
        cues += [
            (c, self._window)
            for c in spans[self._clause_start_cues]
            if c[0] == 0 or text.clause[c[0] - 1] != text.clause[c[0]]
        ]
        cues = [(c, w) for c, w in cues if not any(_overlaps(c, p) for p in pseudo)]
        symptoms = sorted({s for c in self.categories for s in spans[c.patterns]})
        negated: set[tuple[int, int]] = set()
        toks = text.tokens
        for span in symptoms:
            start = span[0]
            for cue, window in cues:
                gap = start - cue[1] - 1
                if (
                    0 <= gap <= window
                    and text.sentence[cue[1]] == text.sentence[start]
                    and not any(t in self._breakers for t in toks[cue[1] + 1 : start])
                ):
                    negated.add(span)
                    break
            else:
                for prev in negated:
                    between = toks[prev[1] + 1 : start]
                    if (
                        prev[1] < start
                        and len(between) <= _LIST_MAX
                        and text.sentence[prev[1]] == text.sentence[start]
                        and set(between) <= _LIST_GLUE
                        and not _LIST_LINK.isdisjoint(between)
                    ):
                        negated.add(span)
                        break
        return negated

    def _is_question(
        self, text: _Text, spans: list[list[tuple[int, int]]], span: tuple[int, int]
    ) -> bool:
        where = text.clause[span[0]]
        markers = [m for m in spans[self._questions] if text.clause[m[0]] == where]
        if not any(m[1] < span[0] for m in markers):
            return False
        for rep in spans[self._reports]:
            if text.clause[rep[0]] == where and not any(_overlaps(rep, m) for m in markers):
                return False
        return True


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
        self, matcher: _Matcher, group: int, items: Iterable[tuple[str, int]], *, typos: bool
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
            toks = _expand_tokens(raw_tokens(text))
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
            m = _ALT_RE.fullmatch(word)
            if m is None or m.group(1):
                self.error(line, f"« no_typo » : un mot ou un préfixe (mot*) attendu : « {text} »")
            elif m.group(3):
                no_typo_prefixes.append(m.group(2))
            else:
                no_typo_words.add(m.group(2))
        matcher = _Matcher(_Lexicon(frozenset(no_typo_words), tuple(no_typo_prefixes)), max_gap)

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

    def context(self, root: LineDict, matcher: _Matcher) -> ContextGroups:
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

    def categories(self, root: LineDict, matcher: _Matcher) -> list[_Category]:
        out: list[_Category] = []
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
                    _Category(
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
