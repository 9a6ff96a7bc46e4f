"""Urgency detection: red-flag rules from ``data/triage.yaml``, run on every patient message.

Triage runs before the FAQ. Its one job is to never let an emergency go unanswered: a
patient writing "je saigne beaucoup depuis ce matin" at 3 a.m. must get the phone numbers at
once and the staff must be alerted. When in doubt the rules escalate; a missed emergency is
far worse than an extra alert.

The pattern language is :mod:`bot.triage.pattern`; loading and checking the file is
:mod:`bot.triage.loader`.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, cast

from bot import texts
from bot.normalize import fold, raw_tokens
from bot.triage.context import ContextGroups, Layout, Verdict, judge
from bot.triage.net import SafetyNet
from bot.triage.pattern import Matcher, Text, expand_tokens

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
# Signs that stay alerts however mildly they are said: a "petite fièvre" after the injection,
# "un peu de sang", a "petite fuite" of stool or urine are what the staff must hear about.
MILD_NEVER: Final = frozenset(
    {"fievre", "saignement", "retention_urinaire", "incontinence", "chute"}
)
# Pain the patient lives with, said with sitting (context group "usual"): a note, not an alert.
USUAL_PAIN: Final = frozenset({"douleur_intense"})


# Words that may sit between a negated symptom and the next one of a list and carry the
# negation on: "pas de fievre, de frissons ni de saignement". "du/des/de la" are left out on
# purpose: French drops them after a negation, so "pas de fievre, des saignements" reports
# bleeding.
_LIST_GLUE: Final = frozenset({"de", "d", "ni", "ou", "et", "or", "nor"})
# English "or" after a negation is distributive ("no fever or bleeding"); French "ou" is not.
_LIST_LINK: Final = frozenset({"de", "d", "ni", "or", "nor"})
_LIST_MAX: Final = 3

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


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
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
        matcher: Matcher,
        categories: Sequence[Category],
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
        self.categories: tuple[Category, ...] = tuple(categories)
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
        layout = Layout(parsed.sentence, parsed.clause, parsed.tokens)
        hits: list[Category] = []
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
                    mild_allowed=cat.id not in MILD_NEVER,
                    usual_allowed=cat.id in USUAL_PAIN,
                    skip_when_question=cat.skip_when_question,
                )
                if verdict == "report":
                    hits.append(cat)
                    break
                if verdict in ("mild", "usual"):
                    # Said mildly: a note to the staff under the sign's own label.
                    hits.append(replace(cat, severity=CONCERN))
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
    def _result(hits: list[Category], english: bool) -> TriageResult | None:
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

    # --- internals ------------------------------------------------------------------------

    def _split(self, text: str) -> Text:
        out = Text([], [], [])
        folded = fold(text)
        counters = [0, 0]  # sentence, clause

        def emit(piece: str) -> None:
            toks = expand_tokens(raw_tokens(piece))
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

    def _negated(self, text: Text, spans: list[list[tuple[int, int]]]) -> set[tuple[int, int]]:
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
        self, text: Text, spans: list[list[tuple[int, int]]], span: tuple[int, int]
    ) -> bool:
        where = text.clause[span[0]]
        reports = [r for r in spans[self._reports] if text.clause[r[0]] == where]
        # A report marker that begins before a question marker and runs into it reads it
        # differently: the "si" of "comme si je manquais d'air" describes, it does not suppose.
        markers = [
            m
            for m in spans[self._questions]
            if text.clause[m[0]] == where and not any(r[0] < m[0] <= r[1] for r in reports)
        ]
        if not any(m[1] < span[0] for m in markers):
            return False
        return all(any(_overlaps(rep, m) for m in markers) for rep in reports)
