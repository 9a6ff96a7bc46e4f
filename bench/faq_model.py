"""Trains the FAQ's second reader (bot/faq/learned.py) and chooses when it may answer.

``python -m bench.faq_model --train`` reads the FAQ files (every entry's question and
phrasings, every topic's terms) and the tuning messages (``bench.faq_rounds.tuning_cases``:
the tuning file and the rounds folded into it, never a held-out round), then:

1. 5-fold cross-validation over the tuning messages (the FAQ's own texts are in every
   training fold): each message is read by a model that never saw it (out of fold);
2. ``agree_min`` is chosen on those out-of-fold readings, at the conversation level
   (``Conversation.respond``, as ``python -m bot ask``): the grid value with the lowest cost,
   misses + WRONG_COST x wrong answers (bench.faq), the criterion of the matcher's own
   thresholds;
3. the model is trained on everything and written to ``data/faq_model/model.bin``.

Without ``--train`` (as in ``make bench``) it only describes the committed model: what it was
trained on, its cross-validated numbers, and whether its classes still match the FAQ.
NumPy is used here only; the bot scores in plain Python.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.faq import BENCH_HOTLINE, FAQ_DIR, SOURCE_DIR, TRIAGE_FILE, WRONG_COST
from bench.faq_rounds import (
    TUNING_ROUNDS,
    Case,
    is_page_fact,
    load_cases,
    outcome,
    tuning_cases,
)
from bot.analysis import analyse
from bot.conversation import Conversation
from bot.faq import Faq, load_faq
from bot.faq.learned import (
    MODEL_PATH,
    OTHER_CLASS,
    cached_model,
    features,
    save_model,
    topic_class,
)
from bot.normalize import normalize
from bot.triage import load_triage

# Messages written from the page only to train the model (see the file's header): in every
# training fold like the entries' phrasings, never scored.
TRAINING_FILE = MODEL_PATH.parent / "training.yaml"
BITS = 15
L2 = 1e-5
EPOCHS = 300
LEARNING_RATE = 0.05
FOLDS = 5
# Thresholds tried, one after the other (agree_min with the other two off, then pick_min,
# then overrule_min, then rescue_min); above 1: never.
AGREE_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 2.0)
PICK_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 2.0)
OVERRULE_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 2.0)
RESCUE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 2.0)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass
class Sample:
    text: str
    label: int
    fold: int  # -1: an FAQ text, in every training fold


def classes_of(faq: Faq) -> tuple[str, ...]:
    topics = (topic_class(t.id) for t in faq.offtopics if t.id)
    return (*(e.id for e in faq.entries), *topics, OTHER_CLASS)


def case_label(case: Case, index: dict[str, int]) -> int | None:
    """The class a tuning message teaches: one entry, or a named not-on-the-page topic."""
    if case.expect is None:
        # A question the page does not cover teaches its topic, or "something else": the
        # model learns that "quelle dose de botox ?" is not the treatment card.
        named = index.get(topic_class(case.topic)) if case.topic else None
        return index[OTHER_CLASS] if named is None else named
    if len(case.expect) == 1:
        return index.get(case.expect[0])
    return None


def fold_of(text: str) -> int:
    return zlib.crc32(text.encode("utf-8")) % FOLDS


def samples(
    faq: Faq, classes: Sequence[str], cases: Sequence[Case], training: Sequence[Case] = ()
) -> list[Sample]:
    index = {c: i for i, c in enumerate(classes)}
    out = [
        Sample(text, index[e.id], -1) for e in faq.entries for text in (e.question, *e.phrasings)
    ]
    for topic in faq.offtopics:
        if topic.id:
            topic_label = index[topic_class(topic.id)]
            out += [Sample(term.replace("*", ""), topic_label, -1) for term in topic.terms]
    for case in cases:
        label = case_label(case, index)
        if label is not None:
            out.append(Sample(case.text, label, fold_of(case.text)))
    # A training message that is also a tuning message is left to the tuning copy: kept in
    # every fold, it would be read by a model that saw it.
    scored = {normalize(c.text) for c in cases}
    for case in training:
        label = case_label(case, index)
        if label is not None and normalize(case.text) not in scored:
            out.append(Sample(case.text, label, -1))
    return out


def read(text: str) -> list[int]:
    """What the model reads of a message: its features, as the matcher is given it."""
    return features(analyse(text).for_matching, BITS)


def train(feats: Sequence[list[int]], y: Ints, k: int) -> tuple[Floats, Floats]:
    """Softmax regression with L2, full batch, by Adam (deterministic)."""
    n = len(feats)
    lens = np.array([len(f) for f in feats])
    cols = np.concatenate([np.array(f, dtype=np.int64) for f in feats])
    rows = np.repeat(np.arange(n), lens)
    vals = np.repeat(1.0 / np.sqrt(np.maximum(lens, 1)), lens)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    dim = 1 << BITS
    w = np.zeros((dim, k))
    b = np.zeros(k)
    target = np.zeros((n, k))
    target[np.arange(n), y] = 1.0
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros(k), np.zeros(k)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, EPOCHS + 1):
        z = np.add.reduceat(w[cols] * vals[:, None], starts, axis=0) + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g_rows = (p - target) / n
        gv = g_rows[rows] * vals[:, None]
        g_w = (
            np.stack([np.bincount(cols, weights=gv[:, j], minlength=dim) for j in range(k)], 1)
            + L2 * w
        )
        g_b = g_rows.sum(axis=0)
        for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= LEARNING_RATE * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return w, b


class FoldReader:
    """The learned reader of cross-validation: the model of the fold that never saw the
    message being answered (set :attr:`fold` before each message)."""

    def __init__(self, classes: Sequence[str], models: list[tuple[Floats, Floats]]) -> None:
        self.classes = list(classes)
        self.models = models
        self.fold = 0
        self.agree_min = 2.0
        self.pick_min = 2.0
        self.overrule_min = 2.0
        self.rescue_min = 2.0

    def best(self, text: str) -> tuple[str, float]:
        w, b = self.models[self.fold]
        f = features(text, BITS)
        z = b + (w[f].sum(axis=0) / np.sqrt(len(f)) if f else 0.0)
        p = np.exp(z - z.max())
        p /= p.sum()
        i = int(p.argmax())
        return self.classes[i], float(p[i])


def cost(conv: Conversation, reader: FoldReader, cases: Sequence[Case]) -> tuple[float, int, int]:
    """(misses + WRONG_COST x wrong, right, wrong) over the cases, each read out of fold."""
    right = wrong = 0
    for case in cases:
        reader.fold = fold_of(case.text)
        reply = conv.respond(case.text)
        ok, _ = outcome(case, reply)
        right += ok
        if not ok and (case.group == "in" or case.group == "out") and is_page_fact(reply):
            wrong += 1
    misses = len(cases) - right - wrong
    return misses + WRONG_COST * wrong, right, wrong


def _cache_path(data: Sequence[Sample]) -> Path:
    """Where the fold models of exactly these samples and settings are kept between runs."""
    key = repr(([(d.text, d.label, d.fold) for d in data], BITS, L2, EPOCHS, LEARNING_RATE))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"faq_model_folds_{digest}.npz"


def _cached_folds(data: Sequence[Sample]) -> list[tuple[Floats, Floats]] | None:
    path = _cache_path(data)
    if not path.exists():
        return None
    stored = np.load(path)
    return [(stored[f"w{k}"], stored[f"b{k}"]) for k in range(FOLDS)]


def _cache_folds(data: Sequence[Sample], models: list[tuple[Floats, Floats]]) -> None:
    arrays = {f"w{k}": w for k, (w, _) in enumerate(models)}
    arrays |= {f"b{k}": b for k, (_, b) in enumerate(models)}
    np.savez(_cache_path(data), **arrays)  # type: ignore[arg-type]


def train_and_choose(reuse: bool = False) -> str:
    faq = load_faq(FAQ_DIR, SOURCE_DIR, model=None)
    classes = classes_of(faq)
    cases = tuning_cases()
    data = samples(faq, classes, cases, load_cases(TRAINING_FILE))
    feats = [read(s.text) for s in data]
    y = np.array([s.label for s in data], dtype=np.int64)
    folds = np.array([s.fold for s in data])
    lines = [
        f"Trained on {int((folds < 0).sum())} FAQ texts and training messages"
        f" ({TRAINING_FILE.name}), and {int((folds >= 0).sum())} tuning"
        f" messages ({', '.join(('faq_tuning.yaml', *TUNING_ROUNDS))}), {len(classes)} classes,"
        f" 2^{BITS} hashed features.",
        "",
    ]
    started = time.perf_counter()
    models = _cached_folds(data) if reuse else None
    fresh = models is None
    if models is None:
        models = []
        for k in range(FOLDS):
            keep = [i for i in range(len(data)) if folds[i] != k]
            models.append(train([feats[i] for i in keep], y[keep], len(classes)))
        _cache_folds(data, models)
    hits = total = 0
    for k in range(FOLDS):
        w, b = models[k]
        for i in np.flatnonzero(folds == k):
            f = feats[i]
            z = b + (w[f].sum(axis=0) / np.sqrt(len(f)) if f else 0.0)
            hits += int(z.argmax()) == y[i]
            total += 1
    lines.append(
        f"Out-of-fold first class right: {100 * hits / total:.1f}% ({hits}/{total});"
        f" {FOLDS} folds {'trained' if fresh else 'reused'} in"
        f" {time.perf_counter() - started:.0f} s."
    )
    reader = FoldReader(classes, models)
    faq.model = reader
    conv = Conversation(faq, load_triage(TRIAGE_FILE), BENCH_HOTLINE)
    lines += [
        "",
        "Conversation level over the tuning messages, each read out of fold (one threshold",
        "at a time, the ones before it at their chosen value, the ones after it off):",
        "",
        "| threshold | value | right | wrong answers | cost |",
        "|---|---|---|---|---|",
    ]
    for name, grid in (
        ("agree_min", AGREE_GRID),
        ("pick_min", PICK_GRID),
        ("overrule_min", OVERRULE_GRID),
        ("rescue_min", RESCUE_GRID),
    ):
        best: tuple[float, float] | None = None
        for value in grid:
            setattr(reader, name, value)
            c, right, wrong = cost(conv, reader, cases)
            label = "never" if value > 1 else f"{value:.2f}"
            lines.append(f"| {name} | {label} | {right}/{len(cases)} | {wrong} | {c:.0f} |")
            # Ties keep the higher value: the second reader weighs in only where it must.
            if best is None or c <= best[0]:
                best = (c, value)
        assert best is not None
        setattr(reader, name, best[1])
    names = ("agree_min", "pick_min", "overrule_min", "rescue_min")
    chosen = {n: getattr(reader, n) for n in names}
    lines += ["", f"Chosen: {chosen} (lowest cost; ties: the higher value)."]
    w, b = train(feats, y, len(classes))
    save_model(
        MODEL_PATH,
        classes,
        w.astype(np.float32).ravel().tolist(),
        b.tolist(),
        bits=BITS,
        agree_min=chosen["agree_min"],
        pick_min=chosen["pick_min"],
        overrule_min=chosen["overrule_min"],
        rescue_min=chosen["rescue_min"],
        meta={
            "trained_on": {
                "faq_texts": int((folds < 0).sum()),
                "messages": int((folds >= 0).sum()),
            },
            "cv_first_class": round(hits / total, 4),
        },
    )
    lines.append(f"Written: {MODEL_PATH.relative_to(MODEL_PATH.parents[2])}")
    return "\n".join(lines)


def describe() -> str:
    model = cached_model()
    if model is None:
        return "No FAQ model file: the matcher decides alone."
    faq = load_faq(FAQ_DIR, SOURCE_DIR, model=None)
    current = set(classes_of(faq))
    known = set(model.classes)
    lines = [
        f"FAQ model: {len(model.classes)} classes, 2^{model.bits} features,"
        f" agree_min {model.agree_min}, pick_min {model.pick_min}, overrule_min"
        f" {model.overrule_min}, rescue_min {model.rescue_min},"
        f" trained on {model.meta.get('trained_on')},"
        f" out-of-fold first class right {model.meta.get('cv_first_class')}.",
    ]
    if current != known:
        lines.append(
            f"Classes differ from the FAQ: new {sorted(current - known)}, gone"
            f" {sorted(known - current)}: retrain with `python -m bench.faq_model --train`."
        )
    else:
        lines.append("Its classes match the FAQ's entries and topics.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faq_model", description=__doc__)
    parser.add_argument("--train", action="store_true", help="retrain and write the model")
    parser.add_argument(
        "--reuse-folds",
        action="store_true",
        help="with --train: reuse the cross-validation models of an earlier run on the same"
        " data (only the thresholds are chosen again: for trying a decision rule quickly)",
    )
    args = parser.parse_args(argv)
    print("## FAQ second reader (learned)\n")
    print(train_and_choose(args.reuse_folds) if args.train else describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
