"""Hashed letter and word n-grams, and the weights file of the models that read them.

Two small learned readers share this: the triage safety net (``bot/triage/net.py``) and the
FAQ's second reader (``bot/faq/learned.py``). Both are linear models over binary features
hashed into ``2**bits`` buckets: character n-grams (CHAR_MIN to CHAR_MAX letters, inside word
boundaries) survive typos, missing accents and SMS spellings that word lists miss, and word
uni- and bigrams carry the context. Scoring is a sum of a few hundred floats in plain Python
(NumPy is used only to train, in ``bench/``).

Weights file: one JSON header line, then float32 values, little-endian, zlib-compressed.
"""

from __future__ import annotations

import itertools
import json
import sys
import zlib
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from bot.normalize import SMS_FORMS, raw_tokens

CHAR_MIN: Final = 3
CHAR_MAX: Final = 5
# Word uni- and bigrams enter this many times (salted hashes): the context words ("si",
# "avais", "fini") are few against the many letter n-grams of a symptom, and measured on the
# triage corpus' grouped cross-validation, weighing them x3 lowered false positives.
WORD_COPIES: Final = 3


def words(text: str, forms: Mapping[str, str]) -> list[str]:
    """Normalised words, spoken and SMS forms expanded (``forms`` first, then SMS_FORMS)."""
    out: list[str] = []
    for tok in raw_tokens(text):
        rep = forms.get(tok) or SMS_FORMS.get(tok)
        out.extend(rep.split() if rep else (tok,))
    return out


def _bucket(feature: str, mask: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) & mask


def features(text: str, bits: int, forms: Mapping[str, str]) -> list[int]:
    """The hashed feature indexes of one text (distinct, unordered)."""
    mask = (1 << bits) - 1
    ws = words(text, forms)
    found: set[int] = set()
    for w in ws:
        padded = f" {w} "
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            for i in range(len(padded) - n + 1):
                found.add(_bucket(padded[i : i + n], mask))
        for c in range(WORD_COPIES):
            found.add(_bucket(f"w{c}:{w}", mask))
    for a, b in itertools.pairwise(ws):
        for c in range(WORD_COPIES):
            found.add(_bucket(f"b{c}:{a} {b}", mask))
    return list(found)


def write_weights(path: Path, header: Mapping[str, Any], weights: Iterable[float]) -> None:
    values = array("f", weights)
    if sys.byteorder != "little":
        values.byteswap()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        json.dumps(dict(header), ensure_ascii=False).encode("utf-8")
        + b"\n"
        + zlib.compress(values.tobytes(), 9)
    )


def read_weights(path: Path, what: str) -> tuple[dict[str, Any], array[float]]:
    """(header, weights); ValueError naming ``what`` if the file is damaged."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        values = array("f")
        values.frombytes(zlib.decompress(body))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"{path}: not a {what} weights file ({exc})") from exc
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a {what} weights file (header)")
    if sys.byteorder != "little":
        values.byteswap()
    return header, values
