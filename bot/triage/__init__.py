"""Triage: red-flag rules with clause-level context, a concern path, and a learned safety net.

* :mod:`bot.triage.pattern` - the pattern language: parsing, typo-tolerant lexicon, matcher;
* :mod:`bot.triage.rules` - how a message is judged: clauses, exclusions, negation, questions,
  severities and replies;
* :mod:`bot.triage.schema` - what a valid ``data/triage.yaml`` is (``file:line`` errors);
* :mod:`bot.triage.loader` - reading it and compiling it into rules;
* :mod:`bot.triage.context` - negated / asked / past / chronic / someone else's (ConText);
* :mod:`bot.triage.net` - the safety net: a character n-gram classifier, independent of the
  rules, that catches urgent wordings the rules have never seen.
"""

from bot.triage.loader import load_triage
from bot.triage.pattern import PatternError, parse_pattern
from bot.triage.rules import (
    ALL_SEVERITIES,
    CONCERN,
    HUMAN_REQUEST_ID,
    SEVERITY_ORDER,
    Analysis,
    Severity,
    TriageResult,
    TriageRules,
    is_severity,
    severity_rank,
)

__all__ = [
    "ALL_SEVERITIES",
    "CONCERN",
    "HUMAN_REQUEST_ID",
    "SEVERITY_ORDER",
    "Analysis",
    "PatternError",
    "Severity",
    "TriageResult",
    "TriageRules",
    "is_severity",
    "load_triage",
    "parse_pattern",
    "severity_rank",
]
