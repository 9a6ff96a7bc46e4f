"""The FAQ's second reader: a learned classifier over letter and word n-grams.

The matcher (:mod:`bot.faq.engine`) reads a message against the phrasings admins wrote; its
decision to answer is shy when a patient's wording is far from all of them, and then it asks
"did you mean" although its first candidate was right. This model reads differently: a
softmax regression over the hashed n-grams of ``bot/ngrams.py`` (typos, SMS spellings and
dictation keep most of their letter n-grams), one class per FAQ entry, one per
not-on-the-page topic and one for the other questions the page does not cover, trained by
``python -m bench.faq_model`` on the entries' phrasings and the tuning messages (never on a
held-out round).

How it is used: only as a second opinion, never alone, and only among what the matcher
found (:meth:`bot.faq.engine.Faq._decide`):

* the matcher would ask "did you mean" (or fall back with no recognised topic) and the
  model's first class is the matcher's first entry, with probability >= ``agree_min``: the
  two readers agree, the entry is answered;
* the matcher would ask, and the model's first class is another of the entries it was about
  to offer, with probability >= ``pick_min``: that entry is answered;
* the matcher would answer, and the model's first class is another entry close behind
  (within the "did you mean" spread), with probability >= ``overrule_min``: that one is;
* the model is sure (``agree_min``) of a not-on-the-page topic whose words the message has:
  the honest fallback naming it, instead of cards about something else;
* the matcher would fall back with no topic recognised (a paraphrase far from every
  phrasing), and the model's first class is an entry the matcher ranked, however low, with
  probability >= ``rescue_min``: that entry is answered.

It never brings an entry the matcher did not rank at all (one sharing no word with the
message), nor overrides a not-on-the-page topic the matcher recognised. The four thresholds
are chosen by cross-validation at the conversation level (``python -m bench.faq_model
--train``); the model is trained on the entries' phrasings, the tuning messages and the
training messages written from the page (``data/faq_model/training.yaml``).

When an admin edits the FAQ, the model is not stale in a dangerous way: a class the FAQ no
longer has is ignored, a new entry has no class and is decided by the matcher alone. Retrain
after a large edit (``make bench`` prints whether the model matches the FAQ's entries).
"""

from __future__ import annotations

import functools
import math
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from bot import ngrams
from bot.analysis import without_told_context
from bot.faq.text import EXTRA_FORMS

MODEL_PATH: Final = Path(__file__).resolve().parents[2] / "data" / "faq_model" / "model.bin"


def features(text: str, bits: int) -> list[int]:
    """The model's features of one text (the FAQ's own spoken and SMS forms expanded).

    What the matcher leaves out is left out here too (bot.analysis.without_told_context): a
    relative clause telling what was done to the patient ("le traitement qu'on m'a proposé"),
    the condition the treatment is for, an image. The last two came after the committed model
    was trained (session 15): it reads them cut but learned them whole, until its next
    retrain."""
    return ngrams.features(without_told_context(text), bits, EXTRA_FORMS)


class Reader(Protocol):
    """What the matcher asks of a second reader (the bench's cross-validation has its own)."""

    @property
    def agree_min(self) -> float: ...

    @property
    def pick_min(self) -> float: ...

    @property
    def overrule_min(self) -> float: ...

    @property
    def rescue_min(self) -> float: ...

    def best(self, text: str) -> tuple[str, float]: ...


@dataclass(frozen=True)
class FaqModel:
    """Loaded weights; :meth:`best` is pure and thread-safe.

    ``weights`` is feature-major: the ``len(classes)`` weights of feature ``f`` are at
    ``f * len(classes)``, so a message's score adds one short slice per feature it has.
    """

    classes: tuple[str, ...]
    weights: array[float] = field(repr=False)
    bias: tuple[float, ...]
    bits: int
    agree_min: float
    meta: dict[str, Any]
    # Above 1: never (a model file written before these existed).
    pick_min: float = 2.0
    overrule_min: float = 2.0
    rescue_min: float = 2.0

    def __post_init__(self) -> None:
        k, n = len(self.classes), len(self.weights)
        if k == 0 or len(self.bias) != k or n != k << self.bits:
            raise ValueError(f"FAQ model: {n} weights for {k} classes, {self.bits} bits")

    def probabilities(self, text: str) -> list[float]:
        """P(class | text), in the order of :attr:`classes`."""
        k = len(self.classes)
        idx = features(text, self.bits)
        z = list(self.bias)
        if idx:
            # Binary features, the vector scaled to unit length, as in training.
            scale = 1.0 / math.sqrt(len(idx))
            w = self.weights
            acc = [0.0] * k
            for f in idx:
                row = w[f * k : (f + 1) * k]
                acc = [a + r for a, r in zip(acc, row, strict=True)]
            z = [b + a * scale for b, a in zip(z, acc, strict=True)]
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        total = sum(exps)
        return [e / total for e in exps]

    def best(self, text: str) -> tuple[str, float]:
        """The most probable class (an entry id, or "topic:<id>") and its probability."""
        probs = self.probabilities(text)
        i = max(range(len(probs)), key=probs.__getitem__)
        return self.classes[i], probs[i]


# The class of the questions the page does not cover and no named topic describes.
OTHER_CLASS: Final = "topic:autre"


def topic_class(topic_id: str) -> str:
    """A not-on-the-page topic's class name (entry ids and topic ids may coincide)."""
    return "topic:" + topic_id


def save_model(
    path: Path,
    classes: tuple[str, ...],
    weights: list[float],
    bias: list[float],
    *,
    bits: int,
    agree_min: float,
    pick_min: float,
    overrule_min: float,
    rescue_min: float,
    meta: dict[str, Any],
) -> None:
    header = {
        "classes": list(classes),
        "bias": bias,
        "bits": bits,
        "agree_min": agree_min,
        "pick_min": pick_min,
        "overrule_min": overrule_min,
        "rescue_min": rescue_min,
        **meta,
    }
    ngrams.write_weights(path, header, weights)


def load_model(path: Path = MODEL_PATH) -> FaqModel:
    """The committed model (ValueError if the file is damaged)."""
    header, values = ngrams.read_weights(path, "FAQ model")
    try:
        classes = tuple(str(c) for c in header.pop("classes"))
        bias = tuple(float(b) for b in header.pop("bias"))
        bits = int(header.pop("bits"))
        agree_min = float(header.pop("agree_min"))
        pick_min = float(header.pop("pick_min", 2.0))
        overrule_min = float(header.pop("overrule_min", 2.0))
        rescue_min = float(header.pop("rescue_min", 2.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a FAQ model weights file ({exc})") from exc
    return FaqModel(
        classes, values, bias, bits, agree_min, header, pick_min, overrule_min, rescue_min
    )


@functools.cache
def cached_model(path: Path = MODEL_PATH) -> FaqModel | None:
    """One loaded model per file for the process (content reloads do not read it again);
    None when there is no model file: the matcher then decides alone."""
    if not path.exists():
        return None
    return load_model(path)
