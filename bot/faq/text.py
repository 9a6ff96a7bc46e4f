"""French analysis for FAQ matching: text -> weighted stems.

Both sides go through the same pipeline, so that "Combien de temps dure l'injection ?" written by
an admin and "cb de tps ca dure la piqure" typed by a patient meet on the same stems:

1. :func:`bot.normalize.tokens` (lower case, no accents, elisions split, SMS forms expanded),
   then a few more spoken/SMS forms kept here (:data:`EXTRA_FORMS`);
2. typo correction of patient words against the vocabulary (queries only, :class:`Corrector`);
3. synonym groups from ``faq/synonymes.yaml`` (multi-word, on surface tokens, before stopwords
   so that "retour a domicile" is still whole);
4. French stopwords removal, keeping the question words that change the meaning;
5. Snowball French stemming.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.normalize import spelled_out
from bot.normalize import tokens as base_tokens

# Spoken and SMS forms seen in patient messages that bot.normalize does not expand (yet).
# Same rule as there: a key must never be an ordinary French word.
EXTRA_FORMS: dict[str, str] = {
    "ki": "qui",
    "koment": "comment",
    "komment": "comment",
    "cmt": "comment",
    "cmb": "combien",
    "combi1": "combien",
    "kombien": "combien",
    "jvoudrais": "je voudrais",
    "jvoudrai": "je voudrais",
    "jaurai": "j aurai",
    "jaurais": "j aurais",
    "jpourrai": "je pourrai",
    "jpourrais": "je pourrais",
    "jvai": "je vais",
    "jdoi": "je dois",
    "jdors": "je dors",
    "mendor": "m endort",
    "mendors": "m endort",
    "mendort": "m endort",
    "jfais": "je fais",
    "jsors": "je sors",
    "jrentre": "je rentre",
    "avt": "avant",
    "aprs": "apres",
    "apr": "apres",
    "qlq": "quelque",
    "qlqs": "quelques",
    "bi1": "bien",
    "dac": "d accord",
    "dacc": "d accord",
    "dak": "d accord",
    "cc": "coucou",
    "bne": "bonne",
    "bn": "bonne",
    "anesth": "anesthesie",
    "ssi": "si",
    "dispo": "disponible",
    "infos": "informations",
    "info": "information",
    # "jpe apl qq1 ?": the usual texting forms of "quelqu'un", "appeler", "comment", "parce que".
    "qq1": "quelqu un",
    "kk1": "quelqu un",
    "qqun": "quelqu un",
    "qlqn": "quelqu un",
    "apl": "appeler",
    "kil": "qu il",
    "koman": "comment",
    "komen": "comment",
    "pcq": "parce que",
    "pck": "parce que",
    "psk": "parce que",
    "ptet": "peut etre",
    # "est-ce qu'on m'insensibilise ?": numbing for the procedure is anaesthesia (a word, not a
    # synonym group, so that it meets "anesthésie" and "anesthésiste" on their shared stem).
    "insensibiliser": "anesthesie",
    "insensibilise": "anesthesie",
    "insensibilisee": "anesthesie",
    "insensibilisera": "anesthesie",
    "insensibilisation": "anesthesie",
    # "une prise en charge anesthésique est-elle prévue ?"
    "anesthesique": "anesthesie",
    "anesthesiques": "anesthesie",
    # "Ce qu'il advient dans les instants qui suivent l'injection": formal for "se passer".
    "advient": "se passe",
    "adviendra": "se passera",
    "advenir": "se passer",
}

# Function words that carry no topic. Deliberately NOT here: combien, quand, qui, ou, comment,
# pourquoi (they separate "combien de temps" from "quand"), avant/apres/pendant (before/after
# entries), sur ("c'est sur ?" is a safety question once accents are gone). "meme" is here:
# "le meme botox que..." must not pull "le jour meme". "type", "genre", "sorte" only frame the
# noun that follows ("quel type de douleurs" is about the pains, not the "type d'anesthésie").
_STOPWORDS_TEXT = """
    a au aux avec ce ces cet cette celui celle ceux celles c d j l m n s t y qu que quoi
    dans de des du elle elles en et eux il ils je la le les leur leurs lui ma mais me mes moi
    mon ne nos notre nous on par pas pour sa se ses son ta te tes toi ton tu un une vos votre
    vous est es suis sommes etes sont serai sera serons serez seront serais serait etais etait
    ete etre ai as avons avez ont aurai aura aurons aurez auront aurais aurait avais avait eu
    avoir ceci cela ca ici la alors aussi bien donc or ni car si tres trop plus moins tout toute
    tous toutes deja encore vraiment juste exactement quel quelle quels quelles lequel laquelle
    fait faire fais font faut peut peux pouvez pourrai pourrais pourrait pourra pourrons pourrez
    pourront puis dois doit devez devons devoir devrai devrais devrait devra vais va vas allez
    allons aller veux veut voulez voudrais voudrait voulais aimerais savoir sais sait dire dites
    merci bonjour bonsoir salut coucou madame monsieur plait oui non ok accord chose quelque
    quelqu question questions ben bah euh hein voila svp stp parce different differente
    differents differentes
    comme meme entre
    type types genre genres sorte sortes
    machin machins bidule bidules
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

QUESTION_WORDS: frozenset[str] = frozenset(
    {"combien", "quand", "qui", "ou", "comment", "pourquoi", "quel", "quelle", "quels", "quelles"}
)

# Synonym group tokens start with this: they are already canonical, so stemming, stopwords and
# typo correction leave them alone. bot.normalize never produces it (tokens are [a-z0-9]+).
SYN_PREFIX = "="

_STEMMER = snowballstemmer.stemmer("french")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball French stem, cached (the stemmer is the slowest step of the pipeline)."""
    if word.startswith(SYN_PREFIX) or word.isdigit():
        return word
    # Snowball leaves the feminine of past participles apart ("soulagee" -> "soulage", but
    # "soulage" -> "soulag"): drop it first, so "je serai soulagee" meets "ca soulage".
    if len(word) > 4 and word.endswith("ee"):
        word = word[:-1]
    elif len(word) > 5 and word.endswith("ees"):
        word = word[:-2]
    return str(_STEMMER.stemWord(word))


def surface_tokens(text: str) -> list[str]:
    """bot.normalize tokens plus the extra spoken/SMS forms above."""
    return [word for tok in base_tokens(text) for word in spelled_out(tok, EXTRA_FORMS)]


def _singular(tok: str) -> str:
    # Synonyms match plurals without admins listing them ("piqures" = "piqure"). Not "x":
    # "prix" is not the plural of "pri" (it would meet "pris"); x plurals are rare, list them.
    if len(tok) > 3 and tok[-1] == "s":
        return tok[:-1]
    return tok


class Synonyms:
    """Synonym groups: every member (one or several words) becomes the group's first member."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.surface_vocabulary: set[str] = set()
        for group in groups:
            head = surface_tokens(group[0])
            if not head:
                continue
            canonical = SYN_PREFIX + "_".join(head)
            for member in group:
                toks = surface_tokens(member)
                self.surface_vocabulary.update(toks)
                key = tuple(_singular(t) for t in toks)
                if key:
                    self._by_first.setdefault(key[0], []).append((key, canonical))
        for options in self._by_first.values():
            # Longest first: "toxine botulique" must win over "toxine".
            options.sort(key=lambda kc: -len(kc[0]))

    def apply(self, toks: list[str], factors: list[float]) -> tuple[list[str], list[float]]:
        sing = [self._listed_form(_singular(t)) for t in toks]
        out: list[str] = []
        out_f: list[float] = []
        i = 0
        while i < len(toks):
            for key, canonical in self._by_first.get(sing[i], ()):
                n = len(key)
                if tuple(sing[i : i + n]) == key:
                    out.append(canonical)
                    out_f.append(min(factors[i : i + n]))
                    i += n
                    break
            else:
                out.append(toks[i])
                out_f.append(factors[i])
                i += 1
        return out, out_f

    def _listed_form(self, tok: str) -> str:
        """A verb form of a listed member ("ils vérifient", "vous validez", "on proposait")
        read as that member: the -er verbs' endings, so admins list one form, not six."""
        if tok in self._by_first or len(tok) < MIN_INFLECTED_LEN:
            return tok
        for ending, replacement in _VERB_ENDINGS:
            if tok.endswith(ending):
                listed = tok[: -len(ending)] + replacement
                if listed in self._by_first:
                    return listed
        return tok


# -er verb endings and the listed form they are read as (longest first).
_VERB_ENDINGS = (
    ("eraient", "er"),
    ("eront", "er"),
    ("erait", "er"),
    ("aient", "er"),
    ("erons", "er"),
    ("erez", "er"),
    ("era", "er"),
    ("ait", "er"),
    ("ais", "er"),
    ("ons", "er"),
    ("ent", "e"),
    ("ez", "er"),
)
MIN_INFLECTED_LEN = 6


# Typo correction. A patient's typo is a slip of the finger (a neighbouring key, a letter
# doubled, dropped or swapped with the next one) or a spelling by ear ("anestesie",
# "pansemant", "botocs"); a real French word one letter away from a FAQ word is neither
# ("infecte" is not a typo for "injecte", "rendre" not one for "rentre", "soigner" not one for
# "saigner"). Without a dictionary, the corrector accepts only what such typos produce:
#
# * a spelling that sounds the same (see :func:`sound_key`): "pansemant", "efficasse", "botocs";
# * or edits, where a changed letter is one edit only if it is a neighbouring key (AZERTY or
#   QWERTY) or a sound-alike letter (s/c/z/x, c/k/q, i/y, m/n, g/j), else two (a deletion and
#   an insertion); the first letter is kept (typos at the start of a word are rare; the
#   exception is a glued elision, "linjection");
# * at most 1 edit up to 7 letters, 2 from 8 letters on (transpositions count as one edit:
#   "combein" -> "combien"). Short words (under MIN_TYPO_LEN) are never corrected.
#
# A corrected word counts a little less than a typed one (a sound-alike spelling as one edit).
MIN_TYPO_LEN = 5
# A word cut in pieces by dictation is glued back only into a word this long: shorter ones
# ("restera" from "rester a") are too often two real words.
REJOIN_MIN_LEN = 7
# Glued dictation pieces are matched on consonants alone from this length (see skeleton).
SKELETON_MIN_LEN = 9
# An SMS abbreviation without its vowels ("pansmt") is read from this length.
ABBREV_MIN_LEN = 5
TWO_EDITS_FROM = 8
TYPO_FACTOR = {1: 0.9, 2: 0.75}
_CACHE_LIMIT = 20000
_VOWELS = frozenset("aeiouy")
# Elided articles and pronouns glued to the next word by a missing apostrophe ("linjection").
_ELISION_LETTERS = frozenset("cdjlmnst")
ELISION_MIN_LEN = 6
# A glued elision onto a word of the FAQ spelled exactly ("dacte", "lacte") from this length.
GLUED_EXACT_MIN_LEN = 4
_KEYBOARD_ROWS = (("azertyuiop", "qsdfghjklm", "wxcvbn"), ("qwertyuiop", "asdfghjkl", "zxcvbnm"))
_SOUND_ALIKE_LETTERS = ("scz", "sx", "ckq", "iy", "mn", "gj")


def _plausible_substitutions() -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for rows in _KEYBOARD_ROWS:
        for r, keys in enumerate(rows):
            for i, key in enumerate(keys):
                near = [keys[j] for j in (i - 1, i + 1) if 0 <= j < len(keys)]
                # Staggered rows: a key touches two keys of the row above and two below.
                if r > 0:
                    near += [rows[r - 1][j] for j in (i, i + 1) if j < len(rows[r - 1])]
                if r + 1 < len(rows):
                    near += [rows[r + 1][j] for j in (i - 1, i) if 0 <= j < len(rows[r + 1])]
                pairs.update((key, other) for other in near)
    for group in _SOUND_ALIKE_LETTERS:
        pairs.update((a, b) for a in group for b in group if a != b)
    pairs |= {(b, a) for a, b in pairs}
    return frozenset(pairs)


_PLAUSIBLE_SUBS = _plausible_substitutions()
_NO_EDIT = 9  # more than any allowed number of edits


def typo_edits(typed: str, word: str) -> int:
    """Edits from ``word`` to ``typed`` counting only typo-like ones: optimal string alignment
    distance where a substitution must be plausible (an implausible one costs a deletion plus an
    insertion, 2 edits) and the first letter may not change."""
    if not typed or not word or typed[0] != word[0]:
        return _NO_EDIT
    n, m = len(typed), len(word)
    prev2: list[int] = []
    prev = list(range(m + 1))
    for i in range(1, n + 1):
        cur = [i] + [0] * m
        for j in range(1, m + 1):
            a, b = typed[i - 1], word[j - 1]
            if a == b:
                sub = prev[j - 1]
            elif (a, b) in _PLAUSIBLE_SUBS:
                sub = prev[j - 1] + 1
            else:
                sub = _NO_EDIT
            best = min(sub, prev[j] + 1, cur[j - 1] + 1)
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b:
                best = min(best, prev2[j - 2] + 1)  # two neighbouring letters swapped
            cur[j] = best
        prev2, prev = prev, cur
    return min(prev[m], _NO_EDIT)


# Spellings by ear, in order: what is written differently but sounds alike. "E" is an open
# "e" ("ai", "ei"), kept apart from a mute final "e"; "$" is "ch".
_SOUND_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"eau", "o"),
        (r"ph", "f"),
        (r"qu", "k"),
        (r"ck", "k"),
        (r"cs|x", "ks"),
        (r"ch", "$"),
        (r"h", ""),
        (r"y", "i"),
        (r"au", "o"),
        (r"[ae]i[nm](?![aeiou])", "in"),
        (r"[ae]i", "E"),
        (r"[ae][nm](?![aeioumn])", "an"),
        (r"c(?=[eiE])", "s"),
        (r"c", "k"),
        (r"g(?=[eiE])", "j"),
        (r"z", "s"),
    )
)


@lru_cache(maxsize=65536)
def sound_key(word: str) -> str:
    """A rough French pronunciation key: "pansemant", "pansement" -> "pansemant"; "botocs",
    "botox" -> "botok"; "anestesie", "anesthesie" -> "anestesi". Doubled letters, then a
    final "s" and a final mute "e", are dropped."""
    out = word
    for pattern, repl in _SOUND_RULES:
        out = pattern.sub(repl, out)
    squeezed: list[str] = []
    for ch in out:
        if not squeezed or squeezed[-1] != ch:
            squeezed.append(ch)
    out = "".join(squeezed)
    if len(out) > 3 and out.endswith("s"):
        out = out[:-1]
    if len(out) > 3 and out.endswith("e"):
        out = out[:-1]
    return out


def _in_order(short: str, word: str) -> bool:
    """Every letter of ``short`` appears in ``word``, in the same order."""
    rest = iter(word)
    return all(ch in rest for ch in short)


def skeleton(word: str) -> str:
    """The consonants of a word's sound key, its first letter kept: "anustesie" and
    "anesthesie" both give "ansts": enough to recognise a long word whose vowels a voice
    keyboard misheard."""
    key = sound_key(word)
    return key[:1] + "".join(ch for ch in key[1:] if ch not in _VOWELS)


# Frequent words of patients' messages that the FAQ files may not contain. They are "known", so
# the corrector leaves them alone instead of "fixing" them into a FAQ word ("depuis" is two
# edits from "devis", an off-topic word that would rule every answer out).
_COMMON_TEXT = """
depuis toujours jamais souvent parfois beaucoup peu assez longtemps bientot tard tot vite
jour jours semaine semaines mois annee annees ans heure heures minute matin soir nuit midi
demain hier aujourd maintenant ensuite enfin alors puis quand lorsque pendant avant apres
lundi mardi mercredi jeudi vendredi samedi dimanche prochain prochaine dernier derniere
pris prise mis dit vu eu fait ete venu parti arrive passe reste fini commence essaye
avoir etre faire dire voir savoir pouvoir vouloir venir aller prendre donner parler mettre
passer rester penser trouver croire sentir attendre suivre laisser tenir demander comprendre
connaitre vivre aider marcher manger dormir lire ecrire appeler sortir entrer revenir
rendre rend rendu rendra devenir deviens devient prevenir partir parte agir agit agisse
toucher touche soigner soigne soigneront grace faible content contente contents
faisable realisable reveille reveillee eveille eveillee conscient consciente quelque part
direct directement voient voit vois derriere devant droit droite gauche dessus dessous
route routes ecole tester teste test lesse ville villes cabinet sale sales faute fautes
mari femme mere pere fils fille enfant enfants ami amie famille gens personne monde
medecin docteur generaliste gastro gynecologue urologue proctologue kine infirmiere
internet google forum article lu vu entendu parle conseille oriente envoye
peur stresse stressee inquiet inquiete angoisse angoissee anxieux anxieuse rassure
mal douleur douleurs fesse fesses dos ventre jambe jambes hanche coccyx vessie selle selles
grand grande petit petite gros grosse nouveau nouvelle meilleur mieux pire moins plus
vrai vraie faux normal simple difficile facile possible impossible important grave
merci bonjour bonsoir madame monsieur svp pardon excusez desole desolee
"""
COMMON_WORDS: frozenset[str] = frozenset(_COMMON_TEXT.split())


class Corrector:
    """Maps an unknown patient word to the nearest vocabulary word, when a typo explains it.

    ``strict`` words (off-topic terms) are reached with one edit at most: a wrong correction
    into one of them would rule out every answer. A word starting with one of
    ``known_prefixes`` (off-topic prefixes such as "saign") is known: never corrected.
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        strict: Iterable[str] = (),
        known_prefixes: Iterable[str] = (),
    ) -> None:
        self._content = frozenset(t for t in vocabulary if t) - COMMON_WORDS
        self._known = self._content | COMMON_WORDS
        self._strict = frozenset(strict)
        self._prefixes = tuple(sorted(set(known_prefixes)))
        by_len: dict[int, list[str]] = {}
        self._by_sound: dict[str, list[str]] = {}
        for word in sorted(self._known):
            by_len.setdefault(len(word), []).append(word)
            if len(word) >= MIN_TYPO_LEN - 1 and word.isalpha():
                self._by_sound.setdefault(sound_key(word), []).append(word)
        # FAQ words by first letter, for SMS abbreviations (see _abbreviated), and long ones
        # by consonant skeleton, for words cut and misheard by dictation (see _rejoin).
        self._by_first: dict[str, list[str]] = {}
        self._by_skeleton: dict[str, list[str]] = {}
        for word in sorted(self._content):
            if not word.isalpha():
                continue
            self._by_first.setdefault(word[0], []).append(word)
            if len(word) >= SKELETON_MIN_LEN:
                self._by_skeleton.setdefault(skeleton(word), []).append(word)
        self._windows: dict[int, list[str]] = {}
        for length in range(MIN_TYPO_LEN, max(by_len, default=0) + 3):
            reach = 2 if length >= TWO_EDITS_FROM else 1
            window: list[str] = []
            for n in range(length - reach, length + reach + 1):
                window.extend(by_len.get(n, ()))
            self._windows[length] = window
        self._cache: dict[str, tuple[str, float]] = {}

    def rejoined(self, toks: list[str]) -> list[str]:
        """Words a voice keyboard cut in pieces, glued back: "radio logue", "echo graphie",
        "bottu lique" are "radiologue", "echographie", "botulique". Pieces of 2 letters or more,
        at least one of them not a word we know, that glued are (or sound like) a word of the
        FAQ of REJOIN_MIN_LEN letters or more."""
        out: list[str] = []
        i = 0
        while i < len(toks):
            for n in (4, 3, 2):
                pieces = toks[i : i + n]
                if len(pieces) < n or not all(len(p) >= 2 and p.isalpha() for p in pieces):
                    continue
                if all(self.known(p) for p in pieces):
                    continue
                # "pas soulagée" is a negation and a typo, not "posologie" cut in two: a
                # function word opens no cut word.
                if pieces[0] in STOPWORDS:
                    continue
                word = self._rejoin(pieces)
                if word is not None:
                    out.append(word)
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return out

    def _rejoin(self, pieces: list[str]) -> str | None:
        glued = "".join(pieces)
        if len(glued) < REJOIN_MIN_LEN:
            return None
        if glued in self._content:
            return glued
        alike = [w for w in self._by_sound.get(sound_key(glued), ()) if w in self._content]
        alike = [w for w in alike if len(w) >= REJOIN_MIN_LEN]
        if alike:
            return min(alike, key=lambda w: (OSA.distance(glued, w), w))
        # "anus tésie": a vowel misheard as well ("anustesie" for "anesthesie"). Long words
        # only, and only when a single FAQ word has the same consonants.
        if len(glued) >= SKELETON_MIN_LEN:
            same = self._by_skeleton.get(skeleton(glued), [])
            if len(same) == 1:
                return same[0]
        return None

    def _abbreviated(self, tok: str) -> tuple[str, float] | None:
        """An SMS abbreviation that drops vowels ("pansmt" for "pansement", "trtmt" for
        "traitement"): at most one vowel, ABBREV_MIN_LEN letters or more, and a single FAQ
        word (by its word key) that starts with the same letter, is longer by two letters or
        more and holds every letter of it in order."""
        if len(tok) < ABBREV_MIN_LEN or sum(ch in _VOWELS for ch in tok) > 1:
            return None
        found = [
            w
            for w in self._by_first.get(tok[0], ())
            if len(w) >= len(tok) + 2 and _in_order(tok, w)
        ]
        if len({word_key(w) for w in found}) != 1:
            return None
        return min(found, key=len), TYPO_FACTOR[2]

    def known(self, tok: str) -> bool:
        return tok in self._known or (bool(self._prefixes) and tok.startswith(self._prefixes))

    def correct(self, tok: str) -> tuple[str, float]:
        if len(tok) == MIN_TYPO_LEN - 1 and tok.isalpha() and not self.known(tok):
            # "l'efet du botox": a short word with its double consonant typed once, the one
            # typo short words are corrected for (one edit away, most 4-letter tokens are
            # another word).
            return self._doubled(tok) or (tok, 1.0)
        if len(tok) < MIN_TYPO_LEN or not tok.isalpha() or self.known(tok):
            return tok, 1.0
        hit = self._cache.get(tok)
        if hit is not None:
            return hit
        glued = tok[0] in _ELISION_LETTERS and tok[1] in _VOWELS
        if glued and len(tok) - 1 >= GLUED_EXACT_MIN_LEN and tok[1:] in self._content:
            # "dacte" is "d'acte" glued, exactly, before it is a typo of "date".
            result = (tok[1:], TYPO_FACTOR[1])
        else:
            result = self._nearest(tok)
        if result[0] == tok and glued:
            # "linjection": l' glued to "injection". Only onto a word of the FAQ (or a typo of
            # one) of ELISION_MIN_LEN letters or more, so a real word is not cut ("decrire" is
            # not "d'ecrire").
            rest = tok[1:]
            if len(rest) >= ELISION_MIN_LEN:
                word, factor = (rest, 1.0) if rest in self._content else self._nearest(rest)
                if word in self._content:
                    result = (word, factor * TYPO_FACTOR[1])
        if result[0] == tok:
            result = self._abbreviated(tok) or result
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[tok] = result
        return result

    def _doubled(self, tok: str) -> tuple[str, float] | None:
        """The one word of the FAQ that is ``tok`` with a consonant doubled ("efet" -> "effet")."""
        found = {
            tok[: i + 1] + tok[i:]
            for i, ch in enumerate(tok)
            if ch not in _VOWELS and tok[: i + 1] + tok[i:] in self._content
        }
        return (found.pop(), TYPO_FACTOR[1]) if len(found) == 1 else None

    def _nearest(self, tok: str) -> tuple[str, float]:
        alike = self._by_sound.get(sound_key(tok))
        if alike:
            # Spelled by ear: the nearest of the words that sound the same.
            best_word = min(alike, key=lambda w: (OSA.distance(tok, w), w))
            return best_word, TYPO_FACTOR[1]
        max_dist = 2 if len(tok) >= TWO_EDITS_FROM else 1
        window = self._windows.get(len(tok))
        if not window:
            return tok, 1.0
        found = process.extract(tok, window, scorer=OSA.distance, score_cutoff=max_dist, limit=8)
        best: tuple[int, str] | None = None
        for word, _, _ in found:
            dist = typo_edits(tok, word)
            if dist > max_dist or (dist > 1 and word in self._strict):
                continue
            if best is None or (dist, word) < best:
                best = (dist, word)
        if best is None:
            return tok, 1.0
        return best[1], TYPO_FACTOR[best[0]]


# Greetings and forms of address that open patient messages.
_OPENING_WORDS = frozenset(
    {"bonjour", "bonsoir", "salut", "coucou", "rebonjour", "re", "docteur", "madame", "monsieur"}
)


def word_key(tok: str) -> str:
    """A word with plural and feminine endings dropped ("remboursees" -> "rembours").

    Off-topic terms are compared on these, not on stems: a stem is too coarse there ("grosse"
    and "grossir", "definition" and "definitif" share one), while an admin can list the few
    verb forms a patient would type.
    """
    if tok.startswith(SYN_PREFIX):
        return tok
    tok = _singular(tok)
    for _ in range(2):  # "remboursee" and "rembourse" both give "rembours"
        if len(tok) > 4 and tok.endswith("e"):
            tok = tok[:-1]
    return tok


@dataclass(frozen=True)
class Analysis:
    """A text, ready for matching."""

    terms: dict[str, float]  # stem -> evidence factor (1.0 as typed, less if typo-corrected)
    words: tuple[str, ...]  # word_key of each content word, in order, for off-topic terms
    # word_key of every word, function words included, for off-topic terms that contain some
    # ("a quelle heure" must not be "heure" alone: "ca dure une heure ?" is about the duration).
    all_words: tuple[str, ...] = ()
    # The stem of each of all_words ("" for a function word): what a found off-topic term
    # explains of the message, in the units the scores are counted in.
    all_stems: tuple[str, ...] = ()


# Discourse markers of spoken French: they say how the patient talks, not what about ("du
# coup, vous piquez où ?" is not the efficacy card's "ça vaut le coup ?"). "genre" is a
# stopword ("genre dans quel muscle ?", "quel genre de douleurs"). "en général" says how
# often, not about what ("ça marche bien en général ?" is the efficacy card). "à proprement
# parler", "à vrai dire", "pour ainsi dire", "en quelque sorte" qualify the saying ("relève-
# t-elle de la chirurgie à proprement parler ?" asks nothing about talking).
_FILLERS: tuple[tuple[str, ...], ...] = (
    ("du", "coup"),
    ("en", "vrai"),
    ("en", "fait"),
    ("en", "general"),
    ("en", "generale"),
    ("a", "proprement", "parler"),
    ("proprement", "dit"),
    ("proprement", "dite"),
    ("a", "vrai", "dire"),
    ("pour", "ainsi", "dire"),
    ("en", "quelque", "sorte"),
)
# "ce qui est prévu après", "qu'est-ce qui se passe", "ceux qui l'ont fait": a relative "qui"
# asks what, never who (the qui_realise card's "qui").
_RELATIVE_HEADS: frozenset[str] = frozenset({"ce", "celui", "celle", "ceux", "celles"})


def _without_fillers(toks: list[str], factors: list[float]) -> tuple[list[str], list[float]]:
    keep_toks: list[str] = []
    keep_factors: list[float] = []
    i = 0
    while i < len(toks):
        filler = next((f for f in _FILLERS if tuple(toks[i : i + len(f)]) == f), None)
        if filler is not None:
            i += len(filler)
            continue
        if toks[i] == "qui" and keep_toks and keep_toks[-1] in _RELATIVE_HEADS:
            i += 1
            continue
        keep_toks.append(toks[i])
        keep_factors.append(factors[i])
        i += 1
    return keep_toks, keep_factors


def analyse(text: str, synonyms: Synonyms, corrector: Corrector | None = None) -> Analysis:
    """Content stems and words of ``text``; ``corrector`` only for patient messages."""
    toks = surface_tokens(text)
    if corrector is not None:
        # "Docteur, c'est quoi..." addresses someone: it is not about the doctor.
        skip = 0
        while skip < len(toks) and toks[skip] in _OPENING_WORDS:
            skip += 1
        toks = toks[skip:]
    if corrector is not None:
        toks = corrector.rejoined(toks)
    # Fillers go before spelling correction too: "proprement" is no misspelling to correct.
    toks, factors = _without_fillers(toks, [1.0] * len(toks))
    if corrector is not None:
        for i, tok in enumerate(toks):
            toks[i], factors[i] = corrector.correct(tok)
    toks, factors = _without_fillers(*synonyms.apply(toks, factors))
    terms: dict[str, float] = {}
    words: list[str] = []
    all_words: list[str] = []
    all_stems: list[str] = []
    for tok, factor in zip(toks, factors, strict=True):
        key = word_key(tok)
        all_words.append(key)
        if tok in STOPWORDS:
            all_stems.append("")
            continue
        words.append(key)
        s = stem(tok)
        all_stems.append(s)
        if factor > terms.get(s, 0.0):
            terms[s] = factor
    return Analysis(terms, tuple(words), tuple(all_words), tuple(all_stems))


# Off-topic terms (faq/hors_sujet.yaml): "saign*" is any word starting with "saign" (saigner,
# saigne, saignement); a prefix must keep at least this many letters.
MIN_PREFIX_LEN = 4


@dataclass(frozen=True)
class TermPattern:
    """An off-topic term, ready to be looked for in an :class:`Analysis`."""

    words: tuple[str, ...]  # word keys, in order
    prefix: bool  # the last word is a prefix ("saign*")
    # The term has function words ("a quelle heure"): it is looked for among all the words
    # (Analysis.all_words), else among the content words only ("securite sociale").
    full: bool

    def found_in(self, analysis: Analysis) -> bool:
        return bool(self.stems_in(analysis))

    def stems_in(self, analysis: Analysis) -> frozenset[str]:
        """The message's stems this term explains wherever it occurs (empty: not found)."""
        full = analysis.all_words
        # Positions in all_words of the words the term is compared with.
        if self.full:
            positions = list(range(len(full)))
        else:
            positions = [i for i, s in enumerate(analysis.all_stems) if s]
        seq = tuple(full[i] for i in positions)
        n = len(self.words)
        head, last = self.words[:-1], self.words[-1]
        found: set[str] = set()
        for i in range(len(seq) - n + 1):
            if seq[i : i + n - 1] != head:
                continue
            word = seq[i + n - 1]
            if word == last or (self.prefix and word.startswith(last)):
                found.update(analysis.all_stems[positions[j]] for j in range(i, i + n))
        found.discard("")
        return frozenset(found)


def term_pattern(term: str, synonyms: Synonyms) -> TermPattern | str:
    """The pattern of an off-topic term, or why it is unusable (a message in French)."""
    text = term.strip()
    prefix = text.endswith("*")
    if prefix:
        text = text[:-1]
    if "*" in text:
        return "« * » n'est permis qu'à la fin d'un terme (« saign* »)"
    analysis = analyse(text, synonyms)
    if not analysis.words:
        return "ne contient que des mots outils"
    full = len(analysis.all_words) > len(analysis.words)
    words = analysis.all_words if full else analysis.words
    if prefix:
        last = words[-1]
        if last.startswith(SYN_PREFIX) or surface_tokens(text)[-1] in STOPWORDS:
            return "un préfixe (« mot* ») doit finir par un mot ordinaire, pas un synonyme"
        if len(last) < MIN_PREFIX_LEN:
            return f"préfixe trop court : au moins {MIN_PREFIX_LEN} lettres avant « * »"
    return TermPattern(words, prefix, full)
