"""Clause-level context of a symptom, the way clinical NLP does it (NegEx / ConText).

The rules find a symptom; this module decides whether the patient is reporting it, now:

* asked about: a hypothetical marker ("si", "au cas où", "if") before it in its clause, with
  no marker of "now" in that clause ("si je saigne encore ce soir" stays a report);
* past: a past marker in its clause ("j'avais", "la semaine dernière", "il y a 3 ans") and no
  marker of now there; or a time set at the head of its sentence ("Il y a quelques années, une
  anesthésie s'est mal passée, j'ai vomi deux jours") and no marker of now in the sentence;
  or resolved a little later ("…, plus rien depuis", "mais c'est fini");
  distress is never closed by a later resolution marker ("plus rien ne va");
* chronic: the usual pain the patient comes for ("comme d'habitude", "depuis des années");
* usual: severe pain tied to sitting ("dès que je m'assois"), the syndrome's own, told in a
  sentence before the message's last and with no marker of now in it: a note for the staff
  rather than an alert;
* imagined: an "urgent" sign followed in its clause by what brings it on in the mind ("mon
  cœur s'emballe rien qu'en imaginant la salle"): a note for the staff, like a mild one;
* someone else's: the latest person named before it in its sentence is a stranger ("ma
  voisine", "une amie", "sur un forum"), or a relative when the message shows they are not
  the patient ("il a la grippe", "je ne peux pas venir") and nothing says "now". A relative
  or carer reporting now ("ma femme a 39 depuis l'injection") is a report, and so is any
  vital or distress sign about a relative: the 15 is right for anyone.

Negation itself stays in :mod:`bot.triage.rules` (nominal cues, pseudo-negations). The trigger
lists live in ``data/triage.yaml`` under ``context:``; edsnlp's qualifiers (negation,
hypothesis, history, family, reported speech) were taken as the reference for their kinds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Span = tuple[int, int]
Verdict = Literal["report", "asked", "past", "chronic", "other", "negated", "mild", "usual"]

#: Context groups read from the rules file, in the order of ``ContextGroups`` fields.
CONTEXT_KEYS: Final = (
    "hypothetical",
    "now",
    "past",
    "past_scene",
    "resolved",
    "chronic",
    "self",
    "relatives",
    "strangers",
    "not_patient",
    "mild",
    "usual",
    "imagined",
)
# A time set at the head of a sentence ("Il y a quelques années,", "Et l'an dernier") may start
# this many tokens in: a conjunction or an adverb before it.
_SCENE_START: Final = 2
# "j'ai vomi", "je me suis évanouie", "elle a saigné": an auxiliary right before the sign, and
# the sign's first word shaped like a past participle (not "j'ai du mal à avaler", "j'ai mal").
_AUXILIARIES: Final = frozenset(
    {"ai", "as", "a", "avons", "avez", "ont", "suis", "es", "est", "sommes", "etes", "sont"}
)
_PARTICIPLE_RE: Final = re.compile(r"[a-z]{2,}(?:e|ee|es|ees|i|ie|is|ies|u|ue|us|ues|it|ite|its)")
_NOT_PARTICIPLES: Final = frozenset(
    {"des", "les", "mes", "ses", "tes", "ces", "plus", "tres", "une"}
)
# Resolution is looked for in the symptom's clause (after it) and in this many later clauses:
# "j'avais saigné un peu, mais c'est fini" ends its story one clause later.
_RESOLVED_REACH: Final = 2
# A mitigator ("un peu", "petite", "léger") this close to a symptom makes it mild: "une petite
# brûlure", "ça brûle un peu".
_MILD_REACH: Final = 2


def _now_spans(spans: Sequence[Span], layout: Layout) -> list[Span]:
    """The markers of now, without "pour toujours": "toujours" says the sign is still there
    ("ça saigne toujours", "il a toujours de la fièvre"), "pour toujours" is the future
    feared ("j'ai peur que ça me paralyse pour toujours")."""
    toks = layout.tokens
    return [
        s
        for s in spans
        if not (0 < s[0] == s[1] and toks[s[0] - 1 : s[0] + 1] == ["pour", "toujours"])
    ]


@dataclass(frozen=True)
class ContextGroups:
    """Matcher group ids of each trigger list."""

    hypothetical: int
    now: int
    past: int
    past_scene: int
    resolved: int
    chronic: int
    self: int
    relatives: int
    strangers: int
    not_patient: int
    mild: int
    usual: int
    imagined: int


@dataclass(frozen=True)
class Layout:
    """Where each token sits: its sentence and clause numbers (and the tokens themselves)."""

    sentence: Sequence[int]
    clause: Sequence[int]
    tokens: Sequence[str] = ()


def _in_clause(spans: Sequence[Span], layout: Layout, clause: int) -> list[Span]:
    return [s for s in spans if layout.clause[s[0]] == clause]


def _in_sentence(spans: Sequence[Span], layout: Layout, sentence: int) -> list[Span]:
    return [s for s in spans if layout.sentence[s[0]] == sentence]


def judge(
    span: Span,
    layout: Layout,
    spans: Sequence[Sequence[Span]],
    groups: ContextGroups,
    *,
    severity: str,
    skip_when_question: bool,
    mild_allowed: bool = True,
    usual_allowed: bool = False,
) -> Verdict:
    """What the context says of one symptom match, for a category of this severity."""
    clause = layout.clause[span[0]]
    sentence = layout.sentence[span[0]]
    now_spans = _now_spans(spans[groups.now], layout)
    now = _in_clause(now_spans, layout, clause)
    hypotheses = _in_clause(spans[groups.hypothetical], layout, clause)
    if skip_when_question and not now and any(h[1] < span[0] for h in hypotheses):
        return "asked"
    # "un peu plus mal", "une petite brûlure", "un petit point rouge": a first-person symptom
    # said mildly is a concern for the staff (a note), not an alert. Only for "urgent" signs:
    # a mild swallowing trouble is still the 15, and distress is never played down here.
    mild = _in_clause(spans[groups.mild], layout, clause)
    if (
        mild_allowed
        and severity == "urgent"
        and any(
            span[0] - _MILD_REACH <= m[1] < span[0] or span[1] < m[0] <= span[1] + _MILD_REACH
            for m in mild
        )
    ):
        return "mild"
    # "Mon cœur s'emballe rien qu'en imaginant la salle d'opération": a sign brought on by
    # imagining what is to come, told after it in its clause, is the fear of it. A note for
    # the staff (the question keeps its answer), for "urgent" signs only, like "mild".
    imagined = _in_clause(spans[groups.imagined], layout, clause)
    if mild_allowed and severity == "urgent" and any(m[0] > span[1] for m in imagined):
        return "mild"
    # "J'ai des douleurs horribles dès que je m'assois. (...) Concrètement, ça consiste en
    # quoi ?": the pain the patient comes for, told in a story before what they ask, with
    # nothing in its sentence saying it is new. A note for the staff (the patient keeps the
    # answer to their question), never silence. Said alone, or with "depuis l'injection" or
    # "ça empire" (now), it stays an alert.
    if (
        usual_allowed
        and sentence < layout.sentence[-1]
        and not _in_sentence(now_spans, layout, sentence)
        and _in_clause(spans[groups.usual], layout, clause)
    ):
        return "usual"
    # A request for a person is about now, whatever the tenses around it: "je me demandais si
    # un médecin pouvait me rappeler" is polite, not past. Calls that did happen ("on m'a
    # rappelée hier") are the category's own exclusions.
    timeless = severity == "humain"
    # Distress that has lasted for months is no less urgent.
    lifelong = severity != "detresse" and _in_clause(spans[groups.chronic], layout, clause)
    if not timeless and lifelong:
        return "chronic"
    if not timeless and not now:
        if _in_clause(spans[groups.past], layout, clause):
            return "past"
        if _past_scene(span, layout, spans, groups, sentence) or _told_already(span, layout):
            return "past"
        # Distress is never closed by a later "plus rien" / "ça va": in patients' words those
        # read both ways ("plus rien ne va"), and a missed 3114 is the worst failure.
        for r in spans[groups.resolved] if severity != "detresse" else ():
            if r[0] > span[1] and clause <= layout.clause[r[0]] <= clause + _RESOLVED_REACH:
                return "past"
    # Who has it: the last person named before the symptom, in its sentence.
    people: list[tuple[int, str]] = []
    for kind, group in (
        ("self", groups.self),
        ("relative", groups.relatives),
        ("stranger", groups.strangers),
    ):
        people += [
            (s[1], kind)
            for s in spans[group]
            if s[1] < span[0] and layout.sentence[s[0]] == sentence
        ]
    if not people:
        return "report"
    _end, who = max(people)
    if who == "stranger":
        return "other"
    if who == "relative":
        # A carer writing to the bot is most often reporting the patient: only a message
        # that shows otherwise ("il a la grippe", "je ne peux pas venir") makes it a story.
        # A sign of "now" does not tie them to the patient once the message says they are
        # someone else ("mon fils a de la fièvre depuis hier, une gastro"): the now is theirs.
        tied = severity in ("vital", "detresse")
        return "other" if spans[groups.not_patient] and not tied else "report"
    return "report"


def _past_scene(
    span: Span,
    layout: Layout,
    spans: Sequence[Sequence[Span]],
    groups: ContextGroups,
    sentence: int,
) -> bool:
    """The sentence opens on a time long gone ("Il y a quelques années, une anesthésie s'est
    très mal passée, j'ai vomi deux jours") and says nothing of now: every clause of it is
    that time's. Only a time adverbial at its head scopes the sentence, never a past tense
    ("j'avais mal hier, je saigne" still alerts on the bleeding), and only for a sign told as
    done, in the passé composé ("j'ai vomi"): "il y a deux ans j'ai eu une hémorragie, et là
    je saigne beaucoup" alerts."""
    if _in_sentence(spans[groups.now], layout, sentence) or not _told_done(span, layout):
        return False
    start = list(layout.sentence).index(sentence)
    return any(
        layout.sentence[s[0]] == sentence and s[0] - start <= _SCENE_START and s[1] < span[0]
        for s in spans[groups.past_scene]
    )


def _told_done(span: Span, layout: Layout) -> bool:
    """The sign is told in the passé composé: an auxiliary right before its first word, and
    that word shaped like a past participle ("j'ai vomi", "elle s'est évanouie")."""
    if not layout.tokens or span[0] == 0:
        return False
    return layout.tokens[span[0] - 1] in _AUXILIARIES and _participle(layout.tokens[span[0]])


def _told_already(span: Span, layout: Layout) -> bool:
    """ "Elle a déjà tourné de l'œil pendant une prise de sang": a sign told as something
    that has happened before ("déjà" between the auxiliary and the participle) is history.
    A marker of now in the clause ("j'ai déjà saigné ce matin") is read first, by the caller."""
    i = span[0]
    if not layout.tokens or i < 2 or layout.tokens[i - 1] != "deja":
        return False
    return layout.tokens[i - 2] in _AUXILIARIES and _participle(layout.tokens[i])


def _participle(word: str) -> bool:
    """Shaped like a past participle ("vomi", "saigne", "tourne"), not a determiner or an
    adverb ("des", "tellement")."""
    return (
        word not in _NOT_PARTICIPLES
        and not word.endswith("ment")
        and _PARTICIPLE_RE.fullmatch(word) is not None
    )
