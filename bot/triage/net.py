"""The safety net: a learned "possibly urgent" classifier, independent of the rules.

The rules of ``data/triage.yaml`` read wordings someone foresaw; each new round of patients'
wording found holes in them. The net is a second, different reader: a logistic regression on
hashed character n-grams (2 to 5 letters, inside word boundaries) and word uni- and bigrams of
the normalised text, trained on ``data/triage_net/corpus.tsv`` (written for it, see
``bench/triage_corpus.py``) by ``python -m bench.triage_net``. When the rules say "no alert"
and the net says "possibly urgent", the patient gets the line and the staff an alert marked
"à vérifier" (:class:`bot.escalation.AlertKind.CHECK`).

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
import itertools
import json
import math
import sys
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.normalize import SMS_FORMS, raw_tokens
from bot.triage.forms import EXTRA_FORMS

WEIGHTS_PATH: Final = Path(__file__).resolve().parents[2] / "data" / "triage_net" / "net.bin"

CHAR_MIN: Final = 3
CHAR_MAX: Final = 5
# Word uni- and bigrams enter this many times (salted hashes): the context words ("si",
# "avais", "fini") are few against the many letter n-grams of a symptom, and measured on the
# corpus' grouped cross-validation, weighing them x3 lowered false positives (see bench).
WORD_COPIES: Final = 3


def _words(text: str) -> list[str]:
    out: list[str] = []
    for tok in raw_tokens(text):
        rep = EXTRA_FORMS.get(tok) or SMS_FORMS.get(tok)
        out.extend(rep.split() if rep else (tok,))
    return out


def _bucket(feature: str, mask: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) & mask


def features(text: str, bits: int) -> list[int]:
    """The hashed feature indexes of one text (distinct, unordered)."""
    mask = (1 << bits) - 1
    words = _words(text)
    found: set[int] = set()
    for w in words:
        padded = f" {w} "
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            for i in range(len(padded) - n + 1):
                found.add(_bucket(padded[i : i + n], mask))
        for c in range(WORD_COPIES):
            found.add(_bucket(f"w{c}:{w}", mask))
    for a, b in itertools.pairwise(words):
        for c in range(WORD_COPIES):
            found.add(_bucket(f"b{c}:{a} {b}", mask))
    return list(found)


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
    values = array("f", weights)
    if sys.byteorder != "little":
        values.byteswap()
    header = {"bits": bits, "bias": bias, "threshold": threshold, **meta}
    path.write_bytes(
        json.dumps(header, ensure_ascii=False).encode("utf-8")
        + b"\n"
        + zlib.compress(values.tobytes(), 9)
    )


@functools.cache
def cached_net(path: Path = WEIGHTS_PATH) -> SafetyNet:
    """One loaded net per file for the process: content reloads do not read it again."""
    return load_net(path)


def load_net(path: Path = WEIGHTS_PATH) -> SafetyNet:
    """Load the committed weights (ValueError if the file is damaged)."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        values = array("f")
        values.frombytes(zlib.decompress(body))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"{path}: not a safety-net weights file ({exc})") from exc
    if sys.byteorder != "little":
        values.byteswap()
    bits = int(header.pop("bits"))
    bias = float(header.pop("bias"))
    threshold = float(header.pop("threshold"))
    return SafetyNet(values, bits, bias, threshold, header)
