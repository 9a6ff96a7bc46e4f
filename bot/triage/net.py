"""The safety net: a learned "possibly urgent" classifier, independent of the rules.

The rules of ``data/triage.yaml`` read wordings someone foresaw; each new round of patients'
wording found holes in them. The net is a second, different reader: a logistic regression on
hashed character n-grams and word uni- and bigrams of the normalised text (``bot/ngrams.py``),
trained on ``data/triage_net/corpus.tsv`` (written for it, see ``bench/triage_corpus.py``)
by ``python -m bench.triage_net``. When the rules say "no alert" and the net says "possibly
urgent", the patient gets the line and the staff an alert marked "à vérifier"
(:class:`bot.escalation.AlertKind.CHECK`).

Why this form: character n-grams survive typos, missing accents and SMS spellings that word
lists miss; the model is one weight per hashed feature, so scoring is a sum of a few hundred
floats in plain Python (no NumPy at run time) and the weights file is small. (Scoring a
long message sentence by sentence as well was measured and dropped: more false positives
for no recall, see ``bench/triage_net.py``.)

Weights file: one JSON header line (feature bits, bias, threshold, provenance) and then the
float32 weights, little-endian, zlib-compressed.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot import ngrams
from bot.triage.forms import EXTRA_FORMS

WEIGHTS_PATH: Final = Path(__file__).resolve().parents[2] / "data" / "triage_net" / "net.bin"


def features(text: str, bits: int) -> list[int]:
    """The hashed feature indexes of one text (distinct, unordered)."""
    return ngrams.features(text, bits, EXTRA_FORMS)


@dataclass(frozen=True)
class NetVerdict:
    score: float  # the net's probability that the message is urgent
    urgent: bool  # score >= the threshold chosen for high recall


class SafetyNet:
    """Loaded weights; :meth:`judge` is pure and thread-safe."""

    def __init__(
        self, weights: array[float], bits: int, bias: float, threshold: float, meta: dict[str, Any]
    ) -> None:
        if len(weights) != 1 << bits:
            raise ValueError(f"net weights: {len(weights)} values for {bits} bits")
        self._w = weights
        self.bits = bits
        self.bias = bias
        self.threshold = threshold
        self.meta = meta

    def judge(self, text: str) -> NetVerdict:
        """The net's verdict on one whole message."""
        idx = features(text, self.bits)
        if not idx:
            return NetVerdict(0.0, False)
        w = self._w
        # Features are binary and the vector is scaled to unit length, as in training.
        score = _sigmoid(self.bias + sum(w[i] for i in idx) / len(idx) ** 0.5)
        return NetVerdict(score=score, urgent=score >= self.threshold)

    def urgent(self, text: str) -> bool:
        return self.judge(text).urgent


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def save_net(
    path: Path,
    weights: Iterable[float],
    *,
    bits: int,
    bias: float,
    threshold: float,
    meta: dict[str, Any],
) -> None:
    ngrams.write_weights(
        path, {"bits": bits, "bias": bias, "threshold": threshold, **meta}, weights
    )


@functools.cache
def cached_net(path: Path = WEIGHTS_PATH) -> SafetyNet:
    """One loaded net per file for the process: content reloads do not read it again."""
    return load_net(path)


def load_net(path: Path = WEIGHTS_PATH) -> SafetyNet:
    """Load the committed weights (ValueError if the file is damaged)."""
    header, values = ngrams.read_weights(path, "safety-net")
    bits = int(header.pop("bits"))
    bias = float(header.pop("bias"))
    threshold = float(header.pop("threshold"))
    return SafetyNet(values, bits, bias, threshold, header)
