"""Triage: red-flag rules with clause-level context, a concern path, and a learned safety net.

* :mod:`bot.triage.rules` - the pattern language and the rules of ``data/triage.yaml``;
* :mod:`bot.triage.context` - negated / asked / past / chronic / someone else's (ConText);
* :mod:`bot.triage.net` - the safety net: a character n-gram classifier, independent of the
  rules, that catches urgent wordings the rules have never seen.
"""

from bot.triage.rules import (
    ALL_SEVERITIES,
    CONCERN,
    HUMAN_REQUEST_ID,
    SEVERITY_ORDER,
    Analysis,
    PatternError,
    Severity,
    TriageResult,
    TriageRules,
    check_triage,
    is_severity,
    load_triage,
    parse_pattern,
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
    "check_triage",
    "is_severity",
    "load_triage",
    "parse_pattern",
    "severity_rank",
]
