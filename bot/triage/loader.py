"""Loading and checking ``data/triage.yaml``: every problem reported with its ``file:line``.

What a valid file is lives in :mod:`bot.triage.schema`; this module compiles a validated file
into :class:`TriageRules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.schema import validate
from bot.triage.context import CONTEXT_KEYS, ContextGroups
from bot.triage.net import WEIGHTS_PATH, SafetyNet, cached_net
from bot.triage.pattern import Lexicon, Matcher, ParsedStep
from bot.triage.rules import ALL_SEVERITIES, Category, Severity, TriageRules
from bot.triage.schema import TriageFile
from bot.yamlfile import CheckError, ContentError, load_yaml


def _read(path: Path) -> tuple[TriageFile | None, list[CheckError]]:
    """The validated file (None when unusable) and every problem found in it."""
    try:
        data = load_yaml(path)
    except ContentError as exc:
        return None, list(exc.errors)
    return validate(TriageFile, data, str(path))


def _compile(path: Path, rules: TriageFile) -> TriageRules:
    no_typo_words = frozenset(word for word, prefix in rules.no_typo if not prefix)
    no_typo_prefixes = tuple(word for word, prefix in rules.no_typo if prefix)
    matcher = Matcher(Lexicon(no_typo_words, no_typo_prefixes), rules.max_gap)

    def group(patterns: Iterable[list[ParsedStep]], *, typos: bool) -> int:
        gid = matcher.new_group()
        for parsed in patterns:
            matcher.add(gid, parsed, typos=typos)
        return gid

    # Group and pattern order fixes the matcher's ids: keep it. Typo tolerance only where it
    # can add an alert, never where it can remove one: negation cues, question markers,
    # exclusions and context triggers match exactly.
    negation, questions = rules.negation, rules.questions
    cues = group(negation.cues, typos=False)
    adjacent = group(negation.adjacent_cues, typos=False)
    clause_start = group(negation.clause_start_cues, typos=False)
    # Pseudo-negations only ever keep an alert, so they may tolerate typos.
    pseudo = group(negation.pseudo, typos=True)
    markers = group(questions.markers, typos=False)
    reports = group(questions.reports, typos=True)
    # A typo in a context trigger could turn a report into a story: exact too.
    context = {key: group(getattr(rules.context, key), typos=False) for key in CONTEXT_KEYS}
    categories = [
        Category(
            id=c.id,
            label=c.label,
            severity=c.severity,
            skip_when_question=c.skip_when_question,
            patterns=group(c.patterns, typos=True),
            exclusions=group(c.exclusions, typos=False),
            veto=group(c.veto, typos=False),
            reply=c.reply,
            reply_en=c.reply_en,
        )
        for c in rules.categories
    ]
    severities = {sev: getattr(rules.severities, sev) for sev in ALL_SEVERITIES}
    replies: dict[Severity, str] = {sev: s.reply for sev, s in severities.items()}
    return TriageRules(
        source=path,
        matcher=matcher,
        categories=categories,
        replies=replies,
        severity_labels={sev: s.label for sev, s in severities.items()},
        separators=rules.clause_separators,
        negation_cues=cues,
        adjacent_cues=adjacent,
        negation_window=negation.window,
        breakers=frozenset(word for words in negation.breakers for word in words),
        question_markers=markers,
        report_markers=reports,
        pseudo_negations=pseudo,
        clause_start_cues=clause_start,
        context=ContextGroups(**context),
        replies_en={sev: s.reply_en for sev, s in severities.items()},
    )


def load_triage(path: Path, net: Path | None = WEIGHTS_PATH) -> TriageRules:
    """Load and compile the rules, with the safety net's weights (``net=None``: rules only);
    raise ContentError listing every problem found."""
    rules, errors = _read(path)
    rules_net: SafetyNet | None = None
    if net is not None:
        try:
            rules_net = cached_net(net)
        except (OSError, ValueError) as exc:
            # Never silently without the net: the bot refuses to start, `check` says why.
            errors.append(CheckError(str(net), 0, f"filet de sécurité illisible : {exc}"))
    if rules is None or errors:
        raise ContentError(errors)
    compiled = _compile(path, rules)
    compiled.net = rules_net
    return compiled
