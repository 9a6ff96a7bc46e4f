"""The pattern language of ``data/triage.yaml``: parsing, typo-tolerant lexicon, matcher.

(The same language is documented in French at the top of the YAML file.)

Both the message and the patterns are normalised the same way (:mod:`bot.normalize`: lower
case, no accents, elisions split, SMS forms expanded, plus the few extra forms below).

* ``fievre`` - a word. In symptom patterns, words of 6 letters or more also match a token
  (of 5 letters or more) one typo away: a letter added, dropped or changed, or two
  neighbouring letters swapped ("fiebre", "siagne"), unless the token is listed in
  ``no_typo`` (real words one letter away from a watched one: "baigner", "courir").
* ``saign*`` - a prefix: any token starting with ``saign`` (3 letters minimum). Prefixes of 7
  letters or more are typo tolerant too.
* ``=mot`` - no typo tolerance for this word.

Typos are tolerated only where they can add an alert (symptom patterns, report markers),
never where they could remove one (exclusions, negation cues, question markers).
* ``vois|voit`` - alternatives for one word position. ``|`` binds tighter than ``+`` and
  spaces: ``pas+de|d`` is "pas" followed by "de" or "d". Variants of several words are
  written as several patterns.
* ``du mal avaler`` - words in this order, with up to ``max_gap`` (default 3) other words
  between two consecutive ones ("j'ai du mal a bien avaler").
* ``pas+de`` - words glued by ``+`` must follow each other directly.

A pattern never spans two clauses. Clauses end at punctuation (``. , ; : ! ?``, line breaks)
and at the ``clause_separators`` words ("mais", "par contre"...); a full stop, question mark,
line break or separator word also ends the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz.distance import OSA

from bot.normalize import SMS_FORMS, fold, is_texted_avec
from bot.triage.forms import EXTRA_FORMS

_MIN_PREFIX: Final = 3
# Typo tolerance is limited to long words: one letter away from a short word is usually
# another common word ("sang"/"sans", "mains"/"moins", "coule"/"coute", "fuite"/"suite";
# measured against a French word list). A prefix one letter away matches far more real words
# than a whole word does ("saign*" ~ "baignade", "degre*" ~ "decredite"), so prefixes need
# more letters still. Tokens shorter than _MIN_FUZZY_TOKEN are never corrected.
_MIN_FUZZY_TOKEN: Final = 5
_MIN_FUZZY: Final = 6
_MIN_FUZZY_PREFIX: Final = 7
_MAX_CACHE: Final = 50_000


# "c'est" arrives as "c" + "est"; the shared table would turn "c" into "c est" and give
# "c est est". Only a lone "c" ("c grave") is the SMS form.
_C_FOLLOWERS: Final = frozenset({"est", "etait", "etais", "etaient"})
_VOWELS: Final = frozenset("aeiouyh")

_APOSTROPHES: Final = "'’‘`´ʼ′"
_PATTERN_CHARS: Final = re.compile(r"[^a-z0-9|*+= \t]")
ALT_RE: Final = re.compile(r"(=?)([a-z0-9]+)(\*?)")


# --- normalisation ------------------------------------------------------------------------


def _expand_word(word: str) -> list[str]:
    rep = EXTRA_FORMS.get(word) or SMS_FORMS.get(word)
    if rep is not None:
        return rep.split()
    # No French word starts with "j" + consonant: "jsaigne", "jrespire" are "je ...".
    if len(word) >= 3 and word[0] == "j" and word[1] not in _VOWELS and not word[1].isdigit():
        return ["je", word[1:]]
    return [word]


def expand_tokens(raw: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok == "c" and i + 1 < len(raw) and raw[i + 1] in _C_FOLLOWERS:
            out.append(tok)
        elif is_texted_avec(raw, i):
            out.append("avec")  # "venir avc ma mère", not the stroke
        else:
            out.extend(_expand_word(tok))
    return out


@dataclass
class Text:
    tokens: list[str]
    sentence: list[int]
    clause: list[int]


# --- patterns -----------------------------------------------------------------------------


class PatternError(ValueError):
    """A malformed pattern; the message is in French, for the admin."""


@dataclass(frozen=True)
class Alt:
    word: str
    prefix: bool
    exact: bool


# One position of a pattern: its alternatives, and whether it must directly follow the
# previous position ("+") rather than within the allowed gap.
ParsedStep = tuple[tuple[Alt, ...], bool]


def parse_pattern(text: str) -> list[ParsedStep]:
    """Parse one pattern; raise PatternError with a French message when it is malformed."""
    src = fold(text)
    for a in _APOSTROPHES + "-":
        src = src.replace(a, " ")
    bad = sorted(set(_PATTERN_CHARS.findall(src)))
    if bad:
        shown = " ".join(f"« {c} »" for c in bad)
        raise PatternError(f"caractère non autorisé {shown} dans le motif « {text} »")
    groups = src.split()
    if not groups:
        raise PatternError("motif vide")
    steps: list[ParsedStep] = []
    for group in groups:
        if group.startswith("+") or group.endswith("+") or "++" in group:
            raise PatternError(
                f"« + » doit relier deux mots sans espace (ex. : pas+de) dans « {text} »"
            )
        for n, part in enumerate(group.split("+")):
            glued = n > 0
            alts_text = part.split("|")
            if any(a == "" for a in alts_text):
                raise PatternError(
                    f"alternative vide dans « {part} » (« | » en trop) dans le motif « {text} »"
                )
            alts: list[Alt] = []
            spliced: list[str] | None = None
            for alt in alts_text:
                m = ALT_RE.fullmatch(alt)
                if m is None:
                    if alt.strip("=*") == "":
                        raise PatternError(
                            f"« {alt} » seul ne désigne aucun mot dans le motif « {text} »"
                        )
                    raise PatternError(
                        f"mot mal formé « {alt} » dans le motif « {text} » "
                        "(« = » seulement devant, « * » seulement à la fin)"
                    )
                exact, word, prefix = m.group(1) == "=", m.group(2), m.group(3) == "*"
                if prefix:
                    if len(word) < _MIN_PREFIX:
                        raise PatternError(
                            f"préfixe « {word}* » trop court ({_MIN_PREFIX} lettres minimum) "
                            f"dans le motif « {text} »"
                        )
                    alts.append(Alt(word, True, exact))
                    continue
                # A pattern word goes through the same SMS expansion as messages ("jsuis" ->
                # "je suis"), except "c", which messages keep before "est".
                words = [word] if word == "c" else _expand_word(word)
                if len(words) > 1 and len(alts_text) > 1:
                    raise PatternError(
                        f"« {word} » s'écrit en plusieurs mots (« {' '.join(words)} ») : "
                        f"écrivez-le en entier, hors des « | », dans le motif « {text} »"
                    )
                if len(words) > 1:
                    spliced = words
                alts.append(Alt(words[0], False, exact))
            steps.append((tuple(alts), glued))
            if spliced is not None:
                exact = alts[0].exact
                steps.extend(((Alt(w, False, exact),), True) for w in spliced[1:])
    return steps


@dataclass(frozen=True)
class _Step:
    atoms: frozenset[int]
    glued: bool


@dataclass(frozen=True)
class _Pattern:
    group: int
    steps: tuple[_Step, ...]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Lexicon:
    """Which pattern words ("atoms") each message token matches, typos included.

    Typo candidates are found with a deletion index (a token and a word one edit apart
    share a key once at most one letter is deleted from each), then confirmed with the
    optimal-string-alignment distance, which counts a swap of two neighbouring letters
    ("sainge") as one typo. Both are cheap, so the cost per message does not grow with the
    number of patterns; results are cached per token.
    """

    def __init__(self, no_typo_words: frozenset[str], no_typo_prefixes: tuple[str, ...]) -> None:
        self.atoms: list[Alt] = []
        self._ids: dict[Alt, int] = {}
        self._no_typo_words = no_typo_words
        self._no_typo_prefixes = no_typo_prefixes
        self._exact: dict[str, set[int]] = {}
        self._prefix: dict[int, dict[str, set[int]]] = {}
        self._fuzzy_words: dict[str, set[int]] = {}
        self._fuzzy_prefix: dict[int, dict[str, set[int]]] = {}
        self._cache: dict[str, frozenset[int]] = {}

    def atom(self, alt: Alt) -> int:
        found = self._ids.get(alt)
        if found is not None:
            return found
        aid = len(self.atoms)
        self.atoms.append(alt)
        self._ids[alt] = aid
        fuzzy = not alt.exact and len(alt.word) >= (_MIN_FUZZY_PREFIX if alt.prefix else _MIN_FUZZY)
        if alt.prefix:
            self._prefix.setdefault(len(alt.word), {}).setdefault(alt.word, set()).add(aid)
            if fuzzy:
                index = self._fuzzy_prefix.setdefault(len(alt.word), {})
                for key in _deletions(alt.word) | {alt.word}:
                    index.setdefault(key, set()).add(aid)
        else:
            self._exact.setdefault(alt.word, set()).add(aid)
            if fuzzy:
                for key in _deletions(alt.word) | {alt.word}:
                    self._fuzzy_words.setdefault(key, set()).add(aid)
        return aid

    def _typo_ok(self, token: str) -> bool:
        if len(token) < _MIN_FUZZY_TOKEN or token.isdigit() or token in self._no_typo_words:
            return False
        return not token.startswith(self._no_typo_prefixes)

    def lookup(self, token: str) -> frozenset[int]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found: set[int] = set(self._exact.get(token, ()))
        for length, index in self._prefix.items():
            if len(token) >= length:
                found.update(index.get(token[:length], ()))
        if self._typo_ok(token):
            keys = _deletions(token) | {token}
            for key in keys:
                for aid in self._fuzzy_words.get(key, ()):
                    if OSA.distance(token, self.atoms[aid].word, score_cutoff=1) <= 1:
                        found.add(aid)
            for length, index in self._fuzzy_prefix.items():
                for k in (length - 1, length, length + 1):
                    if k > len(token):
                        continue
                    head = token[:k]
                    for key in _deletions(head) | {head}:
                        for aid in index.get(key, ()):
                            if OSA.distance(head, self.atoms[aid].word, score_cutoff=1) <= 1:
                                found.add(aid)
        result = frozenset(found)
        if len(self._cache) >= _MAX_CACHE:
            self._cache.clear()
        self._cache[token] = result
        return result


class Matcher:
    """All patterns of the rules file, grouped; one scan of a message finds every group."""

    def __init__(self, lexicon: Lexicon, max_gap: int) -> None:
        self.lexicon = lexicon
        self.max_gap = max_gap
        self.patterns: list[_Pattern] = []
        self._by_first: dict[int, list[int]] = {}
        self.groups = 0

    def new_group(self) -> int:
        self.groups += 1
        return self.groups - 1

    def add(self, group: int, parsed: list[ParsedStep], *, typos: bool) -> None:
        """Register a pattern; ``typos=False`` turns typo tolerance off for all its words."""
        steps = tuple(
            _Step(
                frozenset(
                    self.lexicon.atom(a if typos else Alt(a.word, a.prefix, True)) for a in alts
                ),
                glued,
            )
            for alts, glued in parsed
        )
        pid = len(self.patterns)
        self.patterns.append(_Pattern(group, steps))
        for aid in steps[0].atoms:
            self._by_first.setdefault(aid, []).append(pid)

    def scan(self, text: Text) -> list[list[tuple[int, int]]]:
        """For each group, the (start, end) token spans matched, end inclusive."""
        toks = [self.lexicon.lookup(t) for t in text.tokens]
        found: list[list[tuple[int, int]]] = [[] for _ in range(self.groups)]
        seen: set[tuple[int, int]] = set()
        for start, atoms in enumerate(toks):
            for aid in atoms:
                for pid in self._by_first.get(aid, ()):
                    if (pid, start) in seen:
                        continue
                    seen.add((pid, start))
                    pat = self.patterns[pid]
                    end = self._match(pat, start, toks, text.clause)
                    if end is not None:
                        found[pat.group].append((start, end))
        return found

    def _match(
        self, pat: _Pattern, start: int, toks: list[frozenset[int]], clause: list[int]
    ) -> int | None:
        n = len(toks)
        where = clause[start]
        failed: set[tuple[int, int]] = set()  # (step, position) known to lead nowhere

        def extend(step: int, pos: int) -> int | None:
            if step == len(pat.steps):
                return pos
            if (step, pos) in failed:
                return None
            want = pat.steps[step]
            last = pos + 1 if want.glued else pos + 1 + self.max_gap
            for j in range(pos + 1, min(last, n - 1) + 1):
                if clause[j] != where:
                    break
                if toks[j] & want.atoms:
                    end = extend(step + 1, j)
                    if end is not None:
                        return end
            failed.add((step, pos))
            return None

        return extend(1, start)
