"""edsnlp's qualifiers against the project's clause-level context, on the held-out triage rounds.

Issue #10 item 1 asks whether ``edsnlp`` (AP-HP's French clinical NLP library) should decide
the context of a symptom instead of :mod:`bot.triage.context`. edsnlp is never a dependency of
the bot: this bench runs only where it is importable, in a separate venv::

    python3 -m venv /work/eds-venv
    /work/eds-venv/bin/pip install -e . edsnlp
    /work/eds-venv/bin/python -m bench.edsnlp_compare [ROUND.yaml ...]

How: the project's own rules find the symptom spans (category patterns, minus vetoed categories
and the category's lexical exclusions, which are no context question). Each span then gets a
status two ways: (a) ours, the rules' negation, question markers and context (what
``TriageRules.analyse`` does today, checked message by message against it); (b) edsnlp 0.23's
``eds.negation``, ``eds.hypothesis``, ``eds.history`` (with ``eds.dates``), ``eds.family``
and ``eds.reported_speech`` on the same span, set in a blank "eds" pipeline. A message alerts
when a span of an alert severity survives. (c) is both at once: a span survives only if both
keep it. Reported speech is shown but never drops a span: in patients' messages "ma femme dit
que je saigne" is a report.

Measured on 2026-12-04 on this machine (2 shared cores), edsnlp 0.23.0 with spacy 3.8.18:

* installed size (``du -sb`` of site-packages): 258.6 MB with the project alone, 782.7 MB
  after ``pip install edsnlp``: +524.1 MB, 59 packages (pyarrow 170 MiB, spacy 126 MiB,
  pandas 84 MiB, blis 39 MiB, thinc 18 MiB, edsnlp 15 MiB...).
* cold start, median of 3 fresh processes: ``import edsnlp`` + the pipeline below 4.20 s
  (4.01, 4.28, 4.20), RSS 224 MiB after load; the project's triage rules alone 0.15 s,
  29 MiB. Issue #10's budget for a new dependency is +2 s and +150 MB.
* per message, both rounds x3 (2199 runs): our spans + edsnlp p50 1.15 ms, p99 4.05 ms;
  ``TriageRules.analyse`` p50 0.23 ms, p99 0.85 ms.

Results, rules only (no safety net); urgent recall, then false alarms:

=======  =====================  ======================  ==================
round    (a) ours               (b) edsnlp              (c) both must keep
=======  =====================  ======================  ==================
round 4  169/169 100 %, 0/160   155/169 91.7 %, 23/160  155/169, 0/160
round 5  187/204 91.7 %, 5/200  161/204 78.9 %, 30/200  159/204, 3/200
=======  =====================  ======================  ==================

16 of round 5's urgent messages have no red-flag span at all: no context can catch those.
Both rounds were used to fix our rules after their one blind measure, so (a) flatters ours;
edsnlp never saw them. Its losses are structural, not wordings: "n'arrête pas de" and "je
n'arrive pas à" read as negations, a relative reporting now read as family history, every "?"
read as a hypothesis ("est-ce normal d'avoir 39 de fièvre ?"), "10/10" read as a date, and no
trigger for "resolved" as patients write it ("plus rien depuis", "c'est fini"). English
look-alikes (3 and 5 of its false alarms) are outside its language.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROUNDS = (
    ROOT / "tests" / "data" / "triage_round4.yaml",
    ROOT / "tests" / "data" / "triage_round5.yaml",
)
QUALIFIERS = ("negation", "hypothesis", "history", "family", "reported_speech")
# edsnlp's qualifier -> the verdict of ours that means the same thing, to line them up.
AS_VERDICT = {"negation": "negated", "hypothesis": "asked", "history": "past", "family": "other"}
# Relative dates ("il y a 3 ans") are measured from the message; a fixed day keeps runs equal.
NOTE_DATETIME = dt.datetime(2026, 12, 4, 12, 0)
INSTALL_HINT = (
    "edsnlp is not importable here; it is never a dependency of the bot. To run this bench:\n"
    "  python3 -m venv /work/eds-venv\n"
    "  /work/eds-venv/bin/pip install -e . edsnlp\n"
    "  /work/eds-venv/bin/python -m bench.edsnlp_compare"
)


@dataclass(frozen=True)
class Found:
    """One symptom span of one message, with both verdicts."""

    category: str
    alerts: bool  # its category is an alert severity (not "concern")
    chars: tuple[int, int]  # in the original message
    ours: str  # "report" or why ours set it aside
    eds: str = "report"  # "report" or the first edsnlp qualifier set on it
    eds_flags: tuple[str, ...] = ()
    eds_cues: str = ""


# --- the project's side -------------------------------------------------------------------


def _token_chars(rules: Any, text: str) -> list[tuple[int, int]] | None:
    """Where each of the rules' tokens sits in ``text``, or None if it cannot be lined up.

    Mirrors ``TriageRules._split`` (punctuation, elisions, SMS expansion, separator words)
    while keeping offsets; the caller checks the tokens are the same as the rules'."""
    from bot.normalize import _APOSTROPHES, _TOKEN_RE, fold
    from bot.triage import pattern as pattern_mod
    from bot.triage import rules as rules_mod

    # fold() works character by character (ligatures, case, accents), so a folded position
    # maps back to the original character it came from.
    back: list[int] = []
    for i, ch in enumerate(text):
        back += [i] * len(fold(ch))
    folded = fold(text)
    if len(back) != len(folded):
        return None
    out: list[tuple[int, int]] = []

    def emit(start: int, end: int) -> None:
        piece = folded[start:end]
        for a in _APOSTROPHES:
            piece = piece.replace(a, " ")
        raw = [(m.group(), start + m.start(), start + m.end()) for m in _TOKEN_RE.finditer(piece)]
        toks: list[tuple[str, int, int]] = []
        for i, (tok, s, e) in enumerate(raw):
            nxt = raw[i + 1][0] if i + 1 < len(raw) else ""
            words = [tok] if tok == "c" and nxt in pattern_mod._C_FOLLOWERS else None
            toks += [(w, s, e) for w in (words or pattern_mod._expand_word(tok))]
        i = 0
        while i < len(toks):
            skip = rules._separator_at([t[0] for t in toks], i)
            if skip:
                i += skip
                continue
            out.append((back[toks[i][1]], back[toks[i][2] - 1] + 1))
            i += 1

    pos = 0
    for m in rules_mod._SEP_RE.finditer(folded):
        emit(pos, m.start())
        pos = m.end()
    emit(pos, len(folded))
    return out


def ours(rules: Any, text: str) -> list[Found] | None:
    """Every symptom span with the verdict of the project's context, as ``analyse`` would
    give it (without stopping at a category's first report). None if tokens do not line up."""
    from bot.triage.context import Layout, judge
    from bot.triage.rules import CONCERN, _cancels

    parsed = rules._split(text)
    offsets = _token_chars(rules, text)
    if offsets is None or len(offsets) != len(parsed.tokens):
        return None
    spans = rules._matcher.scan(parsed)
    negated = rules._negated(parsed, spans)
    layout = Layout(parsed.sentence, parsed.clause)
    found: list[Found] = []
    for cat in rules.categories:
        if spans[cat.veto]:
            continue  # the rule's own verdict on the message, not a context question
        for span in spans[cat.patterns]:
            if any(_cancels(x, span) for x in spans[cat.exclusions]):
                continue  # a lexical exclusion ("mal au coeur" is no nausea)
            if span in negated:
                verdict = "negated"
            elif cat.skip_when_question and rules._is_question(parsed, spans, span):
                verdict = "asked"
            else:
                verdict = judge(
                    span,
                    layout,
                    spans,
                    rules._context,
                    severity=cat.severity,
                    skip_when_question=cat.skip_when_question,
                )
            chars = (offsets[span[0]][0], offsets[span[1]][1])
            found.append(Found(cat.id, cat.severity != CONCERN, chars, verdict))
    return found


# --- edsnlp's side ------------------------------------------------------------------------


def build_pipeline() -> Any:
    """A blank "eds" pipeline with the five qualifiers reading ``doc.spans["triage"]``."""
    import edsnlp  # type: ignore[import-not-found,unused-ignore]
    import edsnlp.pipes as eds  # type: ignore[import-not-found,unused-ignore]

    on = {"triage": True}
    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    nlp.add_pipe(eds.normalizer())
    # Dates let eds.history see "il y a 3 ans", "en 2019": its only other trigger is
    # "antécédents", a word of medical notes, not of patients.
    nlp.add_pipe(eds.dates())
    nlp.add_pipe(eds.negation(span_getter=on, explain=True))
    nlp.add_pipe(eds.hypothesis(span_getter=on, explain=True))
    nlp.add_pipe(eds.history(span_getter=on, use_dates=True, explain=True))
    # No sections in a chat message ("Antécédents familiaux:" headers are for notes).
    nlp.add_pipe(eds.family(span_getter=on, use_sections=False, explain=True))
    nlp.add_pipe(eds.reported_speech(span_getter=on, explain=True))
    return nlp


def qualify(nlp: Any, text: str, found: list[Found]) -> list[Found]:
    """The same spans, qualified by edsnlp."""
    doc = nlp.make_doc(text)
    doc._.note_datetime = NOTE_DATETIME
    doc.spans["triage"] = [doc.char_span(*f.chars, alignment_mode="expand") for f in found]
    for _name, pipe in nlp.pipeline:
        doc = pipe(doc)
    out: list[Found] = []
    for f, span in zip(found, doc.spans["triage"], strict=True):
        flags = tuple(q for q in QUALIFIERS if getattr(span._, q))
        eds = next((AS_VERDICT[q] for q in flags if q in AS_VERDICT), "report")
        cues = "; ".join(
            f"{q}: {', '.join(c.text for c in getattr(span._, q + '_cues'))}" for q in flags
        )
        out.append(Found(f.category, f.alerts, f.chars, f.ours, eds, flags, cues))
    return out


# --- measures -----------------------------------------------------------------------------

Way = Callable[[Found], bool]
WAYS: dict[str, Way] = {
    "(a) ours": lambda f: f.ours == "report",
    "(b) edsnlp": lambda f: f.eds == "report",
    "(c) both keep": lambda f: f.ours == "report" and f.eds == "report",
}


def alerts(found: Sequence[Found], keeps: Way) -> bool:
    return any(f.alerts and keeps(f) for f in found)


def _items(path: Path) -> tuple[list[str], list[str]]:
    from bench.triage import _items as load_round

    urgent, calm = load_round(path)
    return [i["text"] for i in urgent], [c["text"] for c in calm]


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def compare(rules: Any, nlp: Any, paths: Sequence[Path], examples: int) -> int:
    drift = 0
    for path in paths:
        urgent, calm = _items(path)
        labelled = [(t, True) for t in urgent] + [(t, False) for t in calm]
        rows: list[tuple[str, bool, list[Found]]] = []
        for text, is_urgent in labelled:
            found = ours(rules, text)
            if found is None:
                print(f"   ! tokens do not line up, skipped: {text!r}")
                continue
            # The bench must judge exactly as the bot does, or its numbers mean nothing.
            if alerts(found, WAYS["(a) ours"]) != (rules.analyse(text).alert is not None):
                drift += 1
                print(f"   ! ours differs from TriageRules.analyse: {text!r}")
            rows.append((text, is_urgent, qualify(nlp, text, found)))
        n_urgent = sum(u for _t, u, _f in rows)
        n_calm = len(rows) - n_urgent
        print(f"\n== {path.name}: {n_urgent} urgent, {n_calm} look-alikes ==")
        for name, keeps in WAYS.items():
            caught = sum(u and alerts(f, keeps) for _t, u, f in rows)
            alarms = sum(not u and alerts(f, keeps) for _t, u, f in rows)
            print(
                f"{name:14} urgent recall {caught}/{n_urgent} ({100 * caught / n_urgent:.1f} %)"
                f", false alarms {alarms}/{n_calm} ({100 * alarms / n_calm:.1f} %)"
            )
        # No context can catch an urgent message in which the rules found no red flag at all.
        unfound = sum(u and not any(f.alerts for f in fs) for _t, u, fs in rows)
        print(f"urgent messages with no red-flag span found (no way can catch them): {unfound}")
        spans = [f for _t, _u, fs in rows for f in fs]
        flagged = Counter(q for f in spans for q in f.eds_flags)
        print(f"spans: {len(spans)}; edsnlp flags: {dict(flagged)}")
        pairs = Counter((f.ours, f.eds) for f in spans if f.ours != f.eds)
        print(
            "span disagreements (ours -> edsnlp): "
            + ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs.most_common())
        )
        # The disagreements that change a message's outcome, by the verdicts responsible
        # (several patterns of one category often match the same words: one line a message).
        flips: dict[str, dict[str, set[str]]] = defaultdict(dict)
        for text, is_urgent, found in rows:
            a, b = alerts(found, WAYS["(a) ours"]), alerts(found, WAYS["(b) edsnlp"])
            if a == b:
                continue
            label = "urgent" if is_urgent else "look-alike"
            who = "edsnlp right" if b == is_urgent else "edsnlp wrong"
            for f in found:
                if f.alerts and (f.ours == "report") == a and (f.eds == "report") == b:
                    kind = f"{label}, ours {f.ours} / edsnlp {f.eds} ({who})"
                    flips[kind].setdefault(text, set()).add(f"{f.category} [{f.eds_cues or '-'}]")
        print("messages whose outcome differs, by verdicts (ours / edsnlp):")
        for kind, messages in sorted(flips.items(), key=lambda kv: -len(kv[1])):
            print(f"  {kind}: {len(messages)} messages")
            for text, why in list(messages.items())[:examples]:
                print(f"     {', '.join(sorted(why))} {text!r}")
    return drift


def cost(nlp: Any, rules: Any, paths: Sequence[Path]) -> None:
    """Cold load (3 fresh processes each), RSS, per-message latency."""
    runs: dict[str, list[tuple[float, float]]] = {"edsnlp": [], "rules": []}
    for what in runs:
        for _ in range(3):
            cmd = [sys.executable, "-m", "bench.edsnlp_compare", "--load-only", what]
            out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
            secs, rss = out.stdout.split()[-2:]
            runs[what].append((float(secs), float(rss)))
    for what, vals in runs.items():
        print(
            f"cold load, {what}: median {statistics.median(v[0] for v in vals):.2f} s "
            f"of {[round(v[0], 2) for v in vals]}, RSS after load "
            f"{statistics.median(v[1] for v in vals):.0f} MB"
        )
    texts = [t for p in paths for part in _items(p) for t in part]
    eds_times: list[float] = []
    rules_times: list[float] = []
    for _ in range(3):
        for text in texts:
            t0 = time.perf_counter()
            found = ours(rules, text) or []
            qualify(nlp, text, found)
            eds_times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            rules.analyse(text)
            rules_times.append((time.perf_counter() - t0) * 1000)
    for name, times in (("edsnlp (spans + pipeline)", eds_times), ("ours analyse", rules_times)):
        p50, p99 = _percentiles(times)
        print(f"per message, {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(times)} runs)")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _load_rules() -> Any:
    from bot.config import load_settings
    from bot.triage import load_triage

    return load_triage(load_settings(None, {}).triage_rules, net=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("rounds", nargs="*", type=Path, default=list(DEFAULT_ROUNDS))
    parser.add_argument("--examples", type=int, default=3, help="examples per kind")
    parser.add_argument("--no-cost", action="store_true", help="skip load and latency")
    parser.add_argument("--load-only", choices=("edsnlp", "rules"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only:
        # One cold process: the time to import and build, then its resident memory.
        t0 = time.perf_counter()
        if args.load_only == "edsnlp":
            build_pipeline()
        else:
            _load_rules()
        print(f"{time.perf_counter() - t0:.3f} {_rss_mb():.1f}")
        return 0
    if importlib.util.find_spec("edsnlp") is None:
        print(INSTALL_HINT)
        return 0
    rules = _load_rules()
    nlp = build_pipeline()
    drift = compare(rules, nlp, args.rounds, args.examples)
    if not args.no_cost:
        cost(nlp, rules, args.rounds)
    if drift:
        print(f"{drift} messages judged differently from TriageRules.analyse: fix this bench")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
