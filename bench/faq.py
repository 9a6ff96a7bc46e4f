"""FAQ engine benchmark: accuracy on the eval set against two baselines, and latency.

Run with ``python -m bench.faq`` (or ``python -m bench`` for every benchmark). Not part of the
tests: numbers depend on the machine. ``--sweep`` prints the parameter grid used to choose the
scoring constants of bot/faq/engine.py; ``--cv`` the cross-validation of its decision
thresholds (answer / did you mean / fallback) on the tuning set (issue 9).

Conversation-level tables per round and style come first (bench/faq_rounds.py); then the
engine alone against two baselines. Engine metrics, on tests/data/faq_tuning.yaml:

* top-1: in-scope messages answered (kind "answer") with the expected entry;
* top-3: the expected entry is among the 3 best ranked;
* fallback: out-of-scope messages that got kind "fallback" (a "did you mean" counts as a miss);
* wrong answers: in-scope messages answered with another entry, plus out-of-scope messages
  answered with an entry. A "did you mean" or a fallback is not a wrong answer: the patient is
  not told something false. This is the number that matters most for a health bot;
* latency of one ``match`` call, median and p99, over 20 passes of the eval set.

Baselines get the same eval set and their best threshold on it (the one minimising the cost
misses + WRONG_COST x wrong answers, the criterion used for our own thresholds): that is
generous to them, so a lead over them is not an artefact of a badly chosen threshold.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

import bot.faq.engine as engine
from bench.faq_rounds import report as rounds_report
from bench.faq_rounds import tuning_cases
from bot.analysis import analyse
from bot.conversation import Conversation
from bot.faq import Faq, FaqEntry, load_faq
from bot.triage import load_triage
from bot.yamlfile import load_yaml

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "faq"
SOURCE_DIR = ROOT / "data" / "source"
EVAL_FILE = ROOT / "tests" / "data" / "faq_tuning.yaml"
TRIAGE_FILE = ROOT / "data" / "triage.yaml"
BENCH_HOTLINE = "01 23 45 67 89"


@dataclass(frozen=True)
class EvalItem:
    text: str
    expect: str | None  # entry id, "smalltalk", or None (must fall back)
    heldout: int  # 0: the set tuned on; 1, 2, 3...: held-out rounds, written after each tuning


def load_eval(path: Path = EVAL_FILE) -> list[EvalItem]:
    data = load_yaml(path)
    return [EvalItem(str(d["text"]), d.get("expect"), int(d.get("heldout", 0))) for d in data]


@dataclass
class Scores:
    top1: int = 0
    top3: int = 0
    n_in: int = 0
    fallback: int = 0
    n_out: int = 0
    wrong: int = 0  # answered with a wrong entry (in scope) or answered at all (out of scope)

    def line(self) -> tuple[str, str, str, str]:
        return (
            _pct(self.top1, self.n_in),
            _pct(self.top3, self.n_in),
            _pct(self.fallback, self.n_out),
            str(self.wrong),
        )

    def cost(self) -> float:
        """Misses + WRONG_COST x wrong answers, per message (lower is better)."""
        misses = (self.n_in - self.top1) + (self.n_out - self.fallback) - self.wrong
        return (misses + WRONG_COST * self.wrong) / max(1, self.n_in + self.n_out)


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "-"


# A wrong answer (a health question answered with the wrong card, or an off-topic one answered
# at all) costs this many misses (a fallback or "did you mean"): the patient who gets "I don't
# have this information" calls the hotline; the one who gets a wrong card may believe it.
WRONG_COST = 3.0

# Not an entry id: what ``ours`` reports for a "did you mean" (neither an answer nor a fallback).
CLARIFY = "?clarify"

# A system under test: message -> (answered entry id or None, ranked ids best first).
Predictor = Callable[[str], tuple[str | None, list[str]]]


def score(predict: Predictor, items: Sequence[EvalItem]) -> Scores:
    s = Scores()
    for item in items:
        if item.expect == "smalltalk":
            continue
        answered, ranked = predict(item.text)
        answered_entry = answered is not None and answered != CLARIFY
        if item.expect is None:
            s.n_out += 1
            s.fallback += int(answered is None)
            s.wrong += int(answered_entry)
        else:
            s.n_in += 1
            s.top1 += answered == item.expect
            s.top3 += item.expect in ranked[:3]
            s.wrong += int(answered_entry and answered != item.expect)
    return s


def ours(faq: Faq) -> Predictor:
    def predict(text: str) -> tuple[str | None, list[str]]:
        result = faq.match(text)
        answered = result.entry.id if result.kind == "answer" and result.entry else None
        # A "did you mean" is not a fallback: count it as a miss for out-of-scope messages.
        if result.kind == "clarify":
            answered = CLARIFY
        return answered, [e.id for _, e in faq.rank(text)]

    return predict


# --- baseline A: nearest phrasing by rapidfuzz WRatio -------------------------------------


def baseline_fuzzy(faq: Faq, threshold: float) -> Predictor:
    choices: list[str] = []
    owners: list[str] = []
    for entry in faq.entries:
        for text in (entry.question, *entry.phrasings):
            choices.append(text)
            owners.append(entry.id)

    def predict(text: str) -> tuple[str | None, list[str]]:
        hits = process.extract(
            text, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=30
        )
        ranked: list[str] = []
        for _, _, idx in hits:
            if owners[idx] not in ranked:
                ranked.append(owners[idx])
        best = hits[0][1] if hits else 0.0
        return (ranked[0] if ranked and best >= threshold else None), ranked

    return predict


# --- baseline B: BM25 on raw words (no accent folding, stemming, stopwords, synonyms) ------

_WORD_RE = re.compile(r"\w+")


def baseline_bm25(faq: Faq, threshold: float, k1: float = 1.2, b: float = 0.75) -> Predictor:
    docs: list[dict[str, int]] = []
    for entry in faq.entries:
        tf: dict[str, int] = {}
        for text in (entry.question, *entry.phrasings):
            for w in _WORD_RE.findall(text.lower()):
                tf[w] = tf.get(w, 0) + 1
        docs.append(tf)
    n = len(docs)
    lengths = [sum(d.values()) for d in docs]
    avg = sum(lengths) / n
    df: dict[str, int] = {}
    for d in docs:
        for w in d:
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def predict(text: str) -> tuple[str | None, list[str]]:
        words = set(_WORD_RE.findall(text.lower()))
        scored: list[tuple[float, int]] = []
        for i, d in enumerate(docs):
            s = 0.0
            for w in words:
                f = d.get(w, 0)
                if f:
                    s += idf[w] * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[i] / avg))
            if s > 0:
                scored.append((s, i))
        scored.sort(reverse=True)
        ranked = [faq.entries[i].id for _, i in scored]
        best = scored[0][0] if scored else 0.0
        return (ranked[0] if ranked and best >= threshold else None), ranked

    return predict


def best_threshold(
    make: Callable[[float], Predictor], grid: Sequence[float], items: Sequence[EvalItem]
) -> float:
    return min(grid, key=lambda t: score(make(t), items).cost())


# --- latency ---------------------------------------------------------------------------------


def latency(faq: Faq, texts: Sequence[str], passes: int = 20) -> tuple[float, float]:
    """Median and p99 of one match() call, in milliseconds (first pass included: cold caches)."""
    samples: list[float] = []
    for _ in range(passes):
        for text in texts:
            t0 = time.perf_counter_ns()
            faq.match(text)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.99 * len(samples)))]


def synthetic_faq(base: Faq, n_entries: int, seed: int = 7) -> Faq:
    """A FAQ of ``n_entries`` made by recombining the real phrasings' words."""
    rng = random.Random(seed)
    words = sorted({w for e in base.entries for p in e.phrasings for w in p.split()})
    themes: list[tuple[str, list[FaqEntry]]] = []
    entries: list[FaqEntry] = []
    for i in range(n_entries):
        phrasings = tuple(
            " ".join(rng.choice(words) for _ in range(rng.randint(2, 7)))
            for _ in range(rng.randint(15, 30))
        )
        entries.append(
            FaqEntry(
                id=f"synth_{i}",
                theme="synthetique",
                question=phrasings[0],
                answer="Réponse.",
                phrasings=phrasings[1:],
                source=(),
                related=(),
                path="<synthetique>",
                line=0,
            )
        )
    themes.append(("synthetique", entries))
    return Faq(themes, base._synonyms)  # the same synonyms as the real FAQ


# --- report ----------------------------------------------------------------------------------


def run(items: Sequence[EvalItem], faq: Faq) -> str:
    parts = {"first set": [i for i in items if not i.heldout]}
    for r in sorted({i.heldout for i in items if i.heldout}):
        parts[f"held-out {r}"] = [i for i in items if i.heldout == r]
    parts["all"] = list(items)
    tuning = parts["first set"]
    fuzzy_t = best_threshold(
        lambda t: baseline_fuzzy(faq, t), [float(x) for x in range(50, 100, 2)], tuning
    )
    bm25_t = best_threshold(lambda t: baseline_bm25(faq, t), [x / 4 for x in range(1, 60)], tuning)
    systems: list[tuple[str, Predictor]] = [
        ("ours", ours(faq)),
        (f"A: rapidfuzz WRatio (threshold {fuzzy_t:.0f})", baseline_fuzzy(faq, fuzzy_t)),
        (f"B: raw BM25 (threshold {bm25_t:.2f})", baseline_bm25(faq, bm25_t)),
    ]
    texts = [i.text for i in items]
    lat: dict[str, tuple[float, float]] = {"ours": latency(faq, texts)}
    for name, predict in systems[1:]:
        samples: list[float] = []
        for _ in range(5):
            for text in texts:
                t0 = time.perf_counter_ns()
                predict(text)
                samples.append((time.perf_counter_ns() - t0) / 1e6)
        samples.sort()
        lat[name] = (statistics.median(samples), samples[int(0.99 * len(samples))])

    lines = [
        "| system | eval part | top-1 in-scope | top-3 in-scope | fallback out-of-scope |"
        " wrong answers | median ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, predict in systems:
        for part_name, part in parts.items():
            t1, t3, fb, wrong = score(predict, part).line()
            med, p99 = lat[name[:4] if name == "ours" else name]
            timing = (f"{med:.3f}", f"{p99:.3f}") if part_name == "all" else ("", "")
            lines.append(
                f"| {name} | {part_name} | {t1} | {t3} | {fb} | {wrong} | {timing[0]} |"
                f" {timing[1]} |"
            )
    lines.append("")
    for part_name, part in parts.items():
        st = [i for i in part if i.expect == "smalltalk"]
        st_ok = sum(faq.match(i.text).kind == "smalltalk" for i in st)
        lines.append(f"Small talk recognised (ours), {part_name}: {_pct(st_ok, len(st))}")
    lines.append("")
    lines.append("| synthetic FAQ | entries | phrasings | build s | median ms | p99 ms |")
    lines.append("|---|---|---|---|---|---|")
    real_phrasings = sum(1 + len(e.phrasings) for e in faq.entries)
    med, p99 = lat["ours"]
    lines.append(f"| real | {len(faq.entries)} | {real_phrasings} | - | {med:.3f} | {p99:.3f} |")
    for n in (1000, 5000):
        start = time.perf_counter()
        big = synthetic_faq(faq, n)
        build = time.perf_counter() - start
        med, p99 = latency(big, texts, passes=3)
        n_phr = sum(1 + len(e.phrasings) for e in big.entries)
        lines.append(f"| synthetic | {n} | {n_phr} | {build:.1f} | {med:.3f} | {p99:.3f} |")
    return "\n".join(lines)


def sweep(items: Sequence[EvalItem], faq: Faq) -> str:
    """Accuracy for grids of constants (first set only: the held-out rounds stay out).

    Cost = (misses + WRONG_COST x wrong answers) / messages, lower is better: the criterion the
    constants of bot/faq/engine.py were chosen on.
    """
    tuning = [i for i in items if not i.heldout]
    header = "| top-1 | fallback | wrong answers | cost |"
    lines = [
        "Scoring constants:",
        "",
        "| unknown weight | beta | phrasing share " + header,
        "|---|---|---|---|---|---|---|",
    ]
    saved = (engine.UNKNOWN_WEIGHT, engine.BETA, engine.PHRASING_SHARE)
    try:
        for uw in (1.5, 2.2, 3.0):
            for beta in (1.0, 1.4, 2.0):
                for share in (0.45, 0.6, 0.75):
                    engine.UNKNOWN_WEIGHT, engine.BETA, engine.PHRASING_SHARE = uw, beta, share
                    s = score(ours(faq), tuning)
                    t1, _, fb, wrong = s.line()
                    lines.append(
                        f"| {uw} | {beta} | {share} | {t1} | {fb} | {wrong} | {s.cost():.4f} |"
                    )
    finally:
        engine.UNKNOWN_WEIGHT, engine.BETA, engine.PHRASING_SHARE = saved
    lines += ["", "Topic share:", "", "| topic min share " + header, "|---|---|---|---|---|"]
    saved_share = engine.TOPIC_MIN_SHARE
    try:
        for share in (0.0, 0.15, 0.25, 0.35, 0.5, 0.7):
            engine.TOPIC_MIN_SHARE = share
            s = score(ours(faq), tuning)
            t1, _, fb, wrong = s.line()
            lines.append(f"| {share} | {t1} | {fb} | {wrong} | {s.cost():.4f} |")
    finally:
        engine.TOPIC_MIN_SHARE = saved_share
    return "\n".join(lines)


# --- the decision layer, chosen by cross-validation (issue 9) ----------------------------


@dataclass(frozen=True)
class DecisionCase:
    features: engine.Features | None  # None: no entry on top (no decision to take)
    right: bool  # the first candidate is an expected entry
    in_scope: bool


def decision_cases(faq: Faq) -> list[DecisionCase]:
    """Every in-scope or out-of-scope message of the tuning set (tuning file and the rounds of
    TUNING_ROUNDS), read as the conversation reads it, with its ranking's features."""
    cases = tuning_cases()
    out: list[DecisionCase] = []
    for case in cases:
        if case.group not in ("in", "out") or (case.expect and len(case.expect) > 1):
            continue  # two questions are cut into clauses before the FAQ decides (conversation)
        ranking = faq.ranking(analyse(case.text).for_matching)
        top = ranking.candidates[0] if ranking.candidates else None
        in_scope = case.group == "in"
        if top is None or ranking.is_topic(top):
            out.append(DecisionCase(None, False, in_scope))
            continue
        right = case.expect is not None and faq.entries[top.index].id in case.expect
        out.append(DecisionCase(ranking.features(), right, in_scope))
    return out


def decision_cost(cases: Sequence[DecisionCase], answer: Sequence[bool]) -> tuple[float, int, int]:
    """(cost per message, right answers, wrong answers) of answering where ``answer`` says."""
    cost = 0.0
    right = wrong = 0
    for case, yes in zip(cases, answer, strict=True):
        if yes and case.features is not None:
            right += case.right
            wrong += not case.right
            cost += 0.0 if case.right else WRONG_COST
        else:
            cost += 1.0 if case.in_scope else 0.0
    return cost / max(1, len(cases)), right, wrong


# (ANSWER_RAW, ENTRY_MARGIN, MAX_UNEXPLAINED, TOPIC_MARGIN)
Thresholds = tuple[float, float, float, float]

DECISION_GRID: tuple[Thresholds, ...] = tuple(
    (raw, entry, unexplained, topic)
    for raw in (0.33, 0.36, 0.39, 0.42, 0.45, 0.48)
    for entry in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16)
    for unexplained in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0)
    for topic in (-1.0, 0.0, 0.03, 0.06, 0.1, 0.15)
)


def _answers(cases: Sequence[DecisionCase], t: Thresholds) -> list[bool]:
    raw, entry, unexplained, topic = t
    return [
        c.features is not None
        and not c.features.capped
        and c.features.raw >= raw
        and c.features.entry_margin >= entry
        and c.features.unexplained <= unexplained
        and c.features.topic_margin >= topic
        for c in cases
    ]


def cross_validate(faq: Faq, folds: int = 5) -> str:
    """The decision thresholds by k-fold cross-validation on the tuning set: on each fold, the
    grid point with the lowest cost on the other folds is applied to the held fold. The point
    shipped is the one with the lowest cost on the whole tuning set."""
    cases = decision_cases(faq)
    shuffled = list(cases)
    random.Random(9).shuffle(shuffled)
    parts = [shuffled[k::folds] for k in range(folds)]
    current = (
        engine.ANSWER_RAW,
        engine.ENTRY_MARGIN,
        engine.MAX_UNEXPLAINED,
        engine.TOPIC_MARGIN,
    )
    lines = [
        f"Decision layer, {folds}-fold cross-validation on {len(cases)} tuning messages"
        f" (cost = misses + {WRONG_COST:g} x wrong answers, per message):",
        "",
        "| fold | chosen (raw, margin, unexplained, topic) | held-fold cost | right | wrong |"
        " shipped: cost | right | wrong |",
        "|---|---|---|---|---|---|---|---|",
    ]
    sums = [0.0, 0, 0, 0.0, 0, 0]
    for k in range(folds):
        train = [c for j, p in enumerate(parts) if j != k for c in p]
        best = min(DECISION_GRID, key=lambda t: decision_cost(train, _answers(train, t))[0])
        held = parts[k]
        got = decision_cost(held, _answers(held, best))
        ship = decision_cost(held, _answers(held, current))
        for i, v in enumerate((*got, *ship)):
            sums[i] += v
        lines.append(
            f"| {k} | {best} | {got[0]:.4f} | {got[1]} | {got[2]} | {ship[0]:.4f} | {ship[1]} |"
            f" {ship[2]} |"
        )
    n_in = sum(c.in_scope for c in cases)
    lines.append(
        f"| mean | - | {sums[0] / folds:.4f} | {sums[1]}/{n_in} | {sums[2]} | {sums[3] / folds:.4f}"
        f" | {sums[4]}/{n_in} | {sums[5]} |"
    )
    ranked = sorted(DECISION_GRID, key=lambda t: decision_cost(cases, _answers(cases, t))[0])
    lines += ["", "| best on the whole tuning set | cost | right | wrong |", "|---|---|---|---|"]
    for t in [*ranked[:6], current]:
        cost, right, wrong = decision_cost(cases, _answers(cases, t))
        mark = " (shipped)" if t == current else ""
        lines.append(f"| {t}{mark} | {cost:.4f} | {right}/{n_in} | {wrong} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faq", description=__doc__)
    parser.add_argument("--sweep", action="store_true", help="print the tuning grid")
    parser.add_argument("--cv", action="store_true", help="cross-validate decision thresholds")
    parser.add_argument("--rounds", action="store_true", help="only the per-round tables")
    parser.add_argument("--misses", action="store_true", help="list the held-out misses")
    args = parser.parse_args(argv)
    faq = load_faq(FAQ_DIR, SOURCE_DIR)
    items = load_eval()
    print("## FAQ engine\n")
    if args.sweep:
        print(sweep(items, faq))
        return 0
    if args.cv:
        print(cross_validate(faq))
        return 0
    conv = Conversation(faq, load_triage(TRIAGE_FILE), BENCH_HOTLINE)
    print(rounds_report(conv, show_misses=args.misses))
    if not args.rounds:
        print()
        print(run(items, faq))
    return 0


if __name__ == "__main__":
    sys.exit(main())
