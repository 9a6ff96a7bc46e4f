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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

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
}

# Function words that carry no topic. Deliberately NOT here: combien, quand, qui, ou, comment,
# pourquoi (they separate "combien de temps" from "quand"), avant/apres/pendant (before/after
# entries), sur ("c'est sur ?" is a safety question once accents are gone). "meme" is here:
# "le meme botox que..." must not pull "le jour meme".
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
    return str(_STEMMER.stemWord(word))


def surface_tokens(text: str) -> list[str]:
    """bot.normalize tokens plus the extra spoken/SMS forms above."""
    out: list[str] = []
    for tok in base_tokens(text):
        rep = EXTRA_FORMS.get(tok)
        if rep is None:
            out.append(tok)
        else:
            out.extend(rep.split())
    return out


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
        sing = [_singular(t) for t in toks]
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


# Typo correction: only words of at least this length (short words are too ambiguous: "mots"
# is one edit from "mois", "dos" from "dort"), at most 1 edit up to 5 letters, 2 edits from 6
# letters on (transpositions count as one edit: "combein" -> "combien"). A corrected word
# counts a little less than a typed one.
MIN_TYPO_LEN = 5
TYPO_FACTOR = {1: 0.9, 2: 0.75}
_CACHE_LIMIT = 20000


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
mari femme mere pere fils fille enfant enfants ami amie famille gens personne monde
medecin docteur generaliste gastro gynecologue urologue proctologue kine infirmiere
internet google forum article lu vu entendu parle conseille oriente envoye
peur stresse stressee inquiet inquiete angoisse angoissee anxieux anxieuse rassure
mal douleur douleurs fesse fesses dos ventre jambe jambes hanche coccyx vessie
grand grande petit petite gros grosse nouveau nouvelle meilleur mieux pire moins plus
vrai vraie faux normal simple difficile facile possible impossible important grave
merci bonjour bonsoir madame monsieur svp pardon excusez desole desolee
"""
COMMON_WORDS: frozenset[str] = frozenset(_COMMON_TEXT.split())


class Corrector:
    """Maps an unknown patient word to the nearest vocabulary word, when one is close enough.

    ``strict`` words (off-topic terms) are reached with one edit at most: a wrong correction
    into one of them would rule out every answer.
    """

    def __init__(self, vocabulary: Iterable[str], strict: Iterable[str] = ()) -> None:
        self._known = frozenset(t for t in vocabulary if t) | COMMON_WORDS
        self._strict = frozenset(strict)
        by_len: dict[int, list[str]] = {}
        for word in sorted(self._known):
            by_len.setdefault(len(word), []).append(word)
        self._windows: dict[int, list[str]] = {}
        for length in range(MIN_TYPO_LEN, max(by_len, default=0) + 3):
            reach = 1 if length <= 5 else 2
            window: list[str] = []
            for n in range(length - reach, length + reach + 1):
                window.extend(by_len.get(n, ()))
            self._windows[length] = window
        self._cache: dict[str, tuple[str, float]] = {}

    def known(self, tok: str) -> bool:
        return tok in self._known

    def correct(self, tok: str) -> tuple[str, float]:
        if tok in self._known or len(tok) < MIN_TYPO_LEN or not tok.isalpha():
            return tok, 1.0
        hit = self._cache.get(tok)
        if hit is not None:
            return hit
        result = self._nearest(tok)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[tok] = result
        return result

    def _nearest(self, tok: str) -> tuple[str, float]:
        max_dist = 1 if len(tok) <= 5 else 2
        window = self._windows.get(len(tok))
        if not window:
            return tok, 1.0
        found = process.extract(tok, window, scorer=OSA.distance, score_cutoff=max_dist, limit=8)
        best: tuple[int, int, str] | None = None
        for word, dist, _ in found:
            dist = int(dist)
            if dist > 1 and word in self._strict:
                continue
            same_start = word[0] == tok[0]
            if not same_start and (dist > 1 or len(tok) <= 5):
                # A different first letter is a rarer typo: only one edit on long words.
                continue
            rank = (dist, 0 if same_start else 1, word)
            if best is None or rank < best:
                best = rank
        if best is None:
            return tok, 1.0
        return best[2], TYPO_FACTOR[best[0]]


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


def analyse(text: str, synonyms: Synonyms, corrector: Corrector | None = None) -> Analysis:
    """Content stems and words of ``text``; ``corrector`` only for patient messages."""
    toks = surface_tokens(text)
    if corrector is not None:
        # "Docteur, c'est quoi..." addresses someone: it is not about the doctor.
        skip = 0
        while skip < len(toks) and toks[skip] in _OPENING_WORDS:
            skip += 1
        toks = toks[skip:]
    factors = [1.0] * len(toks)
    if corrector is not None:
        for i, tok in enumerate(toks):
            toks[i], factors[i] = corrector.correct(tok)
    toks, factors = synonyms.apply(toks, factors)
    terms: dict[str, float] = {}
    words: list[str] = []
    for tok, factor in zip(toks, factors, strict=True):
        if tok in STOPWORDS:
            continue
        words.append(word_key(tok))
        s = stem(tok)
        if factor > terms.get(s, 0.0):
            terms[s] = factor
    return Analysis(terms, tuple(words))
