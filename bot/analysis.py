"""One analysis per patient message, shared by the intent rules, the FAQ and the language check.

The message is normalised, cut into sentences and clauses, and tokenised once. Clauses matter
for two reasons: a long message often tells a story before it asks one thing (the story must
not drown the question), and one message may ask two things ("combien de temps ça dure et je
rentre le soir ?"), each of which deserves its own answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from bot.normalize import fold, normalize

# Dictated punctuation, as voice keyboards write it when the patient says it aloud.
_SPOKEN_PUNCTUATION = (
    (re.compile(r"\bpoints? d[' ]interrogation\b", re.IGNORECASE), "?"),
    (re.compile(r"\bvirgule\b", re.IGNORECASE), ","),
    (re.compile(r"\bpoint final\b", re.IGNORECASE), "."),
    (re.compile(r"\bà la ligne\b", re.IGNORECASE), "."),
)
# "…" and ":" end a sentence too: "je panique un peu… est-ce que je reste ?", "je ne dors
# plus : qui fait le geste ?" put the feeling before and the question after.
_SENTENCE_RE = re.compile(r"[^.!?;:…\n]+[.!?;:…\n]*")
# A new question starts inside a sentence: ", et est-ce que", " et combien", "? et qui"...
_QUESTION_OPENERS = (
    r"est[- ]ce|combien|qui|quand|comment|pourquoi|o[uù]|quel(?:le)?s?|y a[- ]t[- ]il|"
    r"il y a|y aura|faut[- ]il|dois[- ]je|puis[- ]je|je peux|on peut|peut[- ]on|avec quel"
)
# A comma before "et"/"ou" (", et un anesthésiste sera-t-il là ?") or "ainsi que" also start
# one: the cut stands only if every part asks something (see _asks).
_CLAUSE_CUT_RE = re.compile(
    # "... et à quel moment on le propose ?": a preposition may stand before the opener.
    rf"(?:,\s*|\s+)(?:et|ou|puis|aussi)\s+"
    rf"(?=(?:(?:à|a|de|en|par|pour|dans|avec|sur)\s+)?(?:{_QUESTION_OPENERS})\b)"
    r"|,\s*(?:et|ou)\s+|\s+ainsi que\s+"
    # "Est-ce le radiologue qui pique, ah et aussi, il se sert d'un scanner ?"
    r"|,\s*(?:ah|oh|et puis|sinon|autre chose)\s*(?:et\s*)?(?:aussi\s*)?[,:]?\s+"
    # "c'est guidé comment et ça laisse une cicatrice ?": a question word ending the first
    # question closes it.
    r"|(?:(?<=\bcomment)|(?<=\bcombien)|(?<=\bquoi)|(?<=\bquand)|(?<=\bo[uù]))"
    r"\s+(?:et|ou|puis)\s+"
    # "c'est quoi le traitement exactement et c'est une opération ?": "et" before a new
    # subject and its verb may start a second question (kept only if both parts ask).
    # "Ça dure combien de temps et je rentre chez moi après ?": "je" too.
    r"|\s+et\s+(?=(?:c'est|c est|c|ça|ca|il|elle|on|je|j')\s*)"
    # "Il faut combien de séances et chaque séance prend combien de temps ?": a question word
    # in what follows "et" (kept only if both parts ask).
    r"|\s+et\s+(?=[^,?]*\b(?:combien|comment|pourquoi|quand|quel(?:le)?s?)\b)",
    re.IGNORECASE,
)
_INVERSION_RE = re.compile(r"\w-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles)\b", re.IGNORECASE)
_RENDEZ_VOUS_RE = re.compile(r"rendez-vous", re.IGNORECASE)
_OPENING_QUESTION_WORDS = frozenset(
    [
        "combien",
        "comment",
        "pourquoi",
        "quand",
        "qui",
        "quoi",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "ou",
    ]
)
# Words that ask wherever they stand in a clause ("c'est guidé comment", "ça sert à quoi");
# "qui" only opens one ("le médecin qui pique" asks nothing).
_QUESTION_ANYWHERE = (_OPENING_QUESTION_WORDS - {"qui"}) | {
    "lequel",
    "laquelle",
    "lesquels",
    "lesquelles",
}
_ASK_ONLY_LAST = frozenset({"quand", "ou"})
# "je ne sais pas si on la garde en observation": a question told (normalised text).
_DONT_KNOW_RE = re.compile(
    r"\b(?:sai[st] pas (?:du tout |vraiment |trop |bien )?"
    # "je ne vois pas bien dans quelle salle ça se fait" (not "je ne vois pas comment ça
    # pourrait marcher", a doubt).
    r"|vois pas (?:bien |trop |vraiment )?(?:dans |a |en |de |par )?(?=quel|ou\b|qui\b)"
    # "Personne ne m'a dit si on dort à l'hôpital": what nobody said is what is asked.
    r"|(?:ne|n) (?:m a|m ont|nous a|nous ont) (?:pas |jamais |)(?:dit|explique|precise|indique) )"
    r"(?:si|s|comment|combien|quand|ou|qui|quel\w*|pourquoi|a qui|ce qu|ce que|quoi)\b"
)
_ASKING_WORDS = frozenset(
    [
        "savoir",
        "voudrais",
        "aimerais",
        "souhaiterais",
        "souhaite",
        "desireux",
        "desireuse",
        "aimerions",
        "souhaiterions",
        "voudrions",
        "possible",
        "preciser",
        "indiquer",
        "expliquer",
        # "je me demande si...", "il se demande combien de temps...": a question told.
        "demande",
        "demandais",
        "demandait",
        "demandons",
    ]
)
_PREFERENCE = frozenset({"aime", "prefere", "adore"})
_TOLD_ASKING = frozenset({"demande", "demandais", "demandait", "demandons"})
_NOUN_BEFORE = [["la"], ["sa"], ["ma"], ["une"], ["votre"], ["cette"], ["ta"]]
_FUNCTION_WORDS = frozenset(
    [
        "et",
        "alors",
        "bon",
        "du",
        "coup",
        "mais",
        "donc",
        "euh",
        "bonjour",
        "bonsoir",
        "docteur",
        "madame",
        "monsieur",
        "je",
        "j",
    ]
)

# Frequent English words that are not also French words: enough of them in a message means
# the patient is not writing French.
_ENGLISH = frozenset(
    [
        "the",
        "is",
        "are",
        "what",
        "how",
        "when",
        "where",
        "why",
        "who",
        "can",
        "could",
        "should",
        "would",
        "will",
        "my",
        "your",
        "you",
        "i",
        "me",
        "it",
        "this",
        "that",
        "with",
        "have",
        "has",
        "do",
        "does",
        "did",
        "not",
        "after",
        "before",
        "pain",
        "doctor",
        "help",
        "please",
        "hospital",
        "injection",
        "treatment",
        "long",
        "much",
        "need",
        "want",
        "get",
    ]
)


# "je voudrais JUSTE savoir": an adverb inside a request frame.
_FRAME_ADVERB = r"(?:juste|simplement|seulement|donc|vraiment|bien|aussi|surtout)"

# A polite request frame around the question ("Pourriez-vous m'indiquer si", "Je souhaiterais
# savoir", "Auriez-vous l'amabilité de m'expliquer"): its words (indiquer, savoir, expliquer)
# say how the patient asks, not what about, and would pull towards the "explications" card.
_REQUEST_FRAME_RE = re.compile(
    r"^(?:(?:bonjour|bonsoir|madame|monsieur|docteur)[ ,]+)*"
    r"(?:(?:je|j')\s*(?:voudrais|souhaiterais|souhaite|aimerais|veux|voulais)"
    rf"(?:\s+{_FRAME_ADVERB})?"
    r"|(?:pourriez|pouvez|auriez|voudriez|voulez)[- ]vous"
    r"(?: l'(?:amabilit[ée]|obligeance) de| la gentillesse de| bien)?"
    # "Veuillez m'indiquer, je vous prie, le nombre d'interventions nécessaires."
    r"|veuillez (?:me |m')?(?:indiquer|pr[ée]ciser|dire|expliquer|communiquer|confirmer)"
    r"(?:,? je vous (?:prie|en prie),?)?"
    # "Je serais désireux de connaître le degré d'innocuité de ce traitement."
    r"|je serais (?:d[ée]sireu(?:x|se)|curieu(?:x|se)|heureu(?:x|se)|ravie?) d[e']"
    r"|je vous (?:saurais gr[ée]|serais (?:tr[èe]s )?(?:reconnaissante?|oblig[ée]e?)"
    r"|remercie(?:rais)?|prie)"
    r"(?: d'avance)? de|merci(?: d'avance)? de|je me permets de"
    # "Je me demande si c'est pareil ici": wondering is a frame too; its "demande" is not
    # the second-opinion card's "demander un autre avis".
    r"|je me demand(?:e|ais))\s+"
    r"(?:bien vouloir\s+)?"
    r"(?:(?:vous)\s+)?(?:demander\s+)?"
    r"(?:(?:me|m'|nous)\s*)?(?:savoir|conna[iî]tre|comprendre|dire|pr[ée]ciser|indiquer|"
    r"expliquer|confirmer|renseigner)?\s*"
    r"(?:(?:si|s')\s*)?",
    re.IGNORECASE,
)


def without_request_frame(sentence: str) -> str:
    """The sentence without its polite request frame (unchanged if nothing would be left)."""
    core = _REQUEST_FRAME_RE.sub("", sentence, count=1)
    return core if _has_word(core) and len(core) < len(sentence) else sentence


# "lequel", "laquelle" standing for a noun named before ("…sur le muscle ? Et on pique dans
# lequel ?"), not the relative "lequel de…" nor "auquel" after a noun ("un numéro auquel").
_WHICH_ONE_RE = re.compile(r"\b(?:lequel|laquelle|lesquels|lesquelles)\b(?!\s+(?:de|des|d'))", re.I)
_NOUN_AFTER_ARTICLE_RE = re.compile(
    r"\b(?:le|la|les|l'|du|des|au|aux|un|une|ce|cette|ces)\s*([a-zà-ÿ-]{3,})", re.I
)


def with_antecedent(question: str, before: str) -> str:
    """A question asking "which one" ("Et on pique dans lequel ?") with the last noun of the
    question before it put in ("Et on pique dans quel muscle ?"); else unchanged."""
    which = _WHICH_ONE_RE.search(question)
    nouns = _NOUN_AFTER_ARTICLE_RE.findall(before)
    if which is None or not nouns:
        return question
    return f"{question[: which.start()]}quel {nouns[-1]}{question[which.end() :]}"


def _matched_part(sentence: str) -> str:
    """The sentence as the FAQ reads it: without its request frame, and then, the frame
    saying what follows is the question, without the reason after it ("Je voudrais savoir si
    c'est au bloc, pour savoir à quoi m'attendre")."""
    core = without_request_frame(sentence)
    return without_reason(core, asks=True) if core != sentence else core


# The reason a patient gives after the question ("…ce que le produit fait au muscle, parce que
# pour moi le botox c'est pour les rides !") explains why they ask, not what: its words must
# not take the question over.
# "afin que la journée se déroule au mieux" (a purpose) is a reason too.
_REASON_RE = re.compile(
    r",?\s+(?:parce qu(?:e\s+|')|puisqu(?:e\s+|')|car\s+|afin qu(?:e\s+|'))"
    # "…, pour savoir à quoi m'attendre", "…, pour m'organiser": why the patient asks (after a
    # comma only: "Comment faire pour savoir si ça a marché ?" asks about the knowing).
    r"|,\s*pour\s+(?:savoir|que je sache|(?:pouvoir\s+)?m['\s]organiser)\b",
    re.IGNORECASE,
)


# The decision the answer is for, wherever it stands ("…l'innocuité de ce traitement avant de
# donner mon accord", "Serait-il envisageable, avant de m'engager, de solliciter un autre
# avis ?"): it says why the patient asks, not what about. Not "avant de venir", which says
# when the question is about.
_DECISION_RE = re.compile(
    r",?\s*\bavant de (?:me d[ée]cider|prendre (?:ma|une|la) d[ée]cision"
    r"|donner mon (?:accord|feu vert|consentement)|dire oui|accepter|m'engager|me lancer|signer)"
    r"\b\s*,?",
    re.IGNORECASE,
)


# The patient as the subject of a "parce que" ("parce que j'ai tout essayé"). Not "car": "je
# stresse car je ne sais pas combien de temps ça dure ?" asks after it.
_SELF_REASON_RE = re.compile(r"parce qu(?:e)? (?:j|je|on)\b")


def without_reason(sentence: str, asks: bool = False) -> str:
    """The sentence up to a "parce que" / "car" / "puisque" that follows its question, and
    without the decision it is asked for (_DECISION_RE).

    ``asks``: the part before is known to be the question (a request frame's tail); else it
    must look like one ("je stresse car je ne sais pas combien de temps ça dure ?" asks after
    its "car")."""
    decided, cuts = _DECISION_RE.subn(" ", sentence)
    if cuts and _has_word(decided):
        sentence = re.sub(r"\s+([?.!])", r"\1", decided.strip())
    found = _REASON_RE.search(sentence)
    if found is None:
        return sentence
    head = sentence[: found.start()]
    # A question word inside the head asks too ("ça prend combien de temps la piqûre parce
    # que j'ai mon fils à récupérer", dictated without a "?").
    if len(normalize(head).split()) >= 2 and (asks or _asks(head, False, False)):
        return head
    # "ça marche vraiment ce truc parce que j'ai tout essayé ?", dictated: the "?" ends the
    # whole sentence, and what the patient says of themself after "parce que" is why they ask.
    if (
        sentence.rstrip().endswith("?")
        and len(normalize(head).split()) >= 2
        and _SELF_REASON_RE.match(normalize(sentence[found.start() :]))
    ):
        return head
    return sentence


# A relative clause telling what was done to the patient ("le traitement par botox qu'on m'a
# proposé pour mes douleurs", "la toxine qui m'a été prescrite") names the thing asked about,
# not the question: its verb (proposer, prescrire...) would pull towards the card that verb
# belongs to ("Quand ce traitement est-il proposé ?"). Only the relative pronoun, the verb and
# its participle go (with a "pour mes douleurs" after it): what follows may be the main verb
# ("si l'injection qui m'a été proposée relève de la chirurgie").
# Never after "est-ce", "pourquoi", "parce", "ce": "pourquoi est-ce qu'on m'a proposé ça
# maintenant ?" asks about the proposal itself.
_TOLD_RELATIVE_RE = re.compile(
    r"(?<!est-ce )(?<!est ce )(?<!pourquoi )(?<!parce )(?<!\bce )(?<!\bfois )"
    r"\b(?:qu'|que\s+|qui\s+)"
    r"(?:on\s+|l'on\s+|vous\s+|(?:le|la|les|mon|ma|mes|votre|vos)\s+[\w-]+\s+)?"
    r"(?:(?:m'|nous\s+)(?:a|ont|avez|avaient|avait)(?:\s+(?:été|ete))?\s+"
    # "ce traitement qu'on me propose": the present too.
    r"|(?:me|nous)\s+)"
    r"(?:propos|prescri|conseill|recommand|indiqu|annonc|évoqu|evoqu|parl)\w*"
    # "… qu'on m'a proposé pour mes douleurs": why it was proposed goes with it.
    r"(?:\s+(?:pour|contre)\s+(?:mes|ma|mon|ces|cette|ce)\s+[\w-]+)?",
    re.IGNORECASE,
)


# "le botox ça marche vraiment pour le syndrome des releveurs ?", "une injection de botox
# pour un syndrome des releveurs", "sa marche pr les releveurs ?": the condition the
# treatment is for, named after "pour", is what the question is about only when nothing
# else is asked ("c'est quoi le syndrome des releveurs ?" has no "pour"). Dictated forms
# too ("des relève heure").
_TREATED_CONDITION_RE = re.compile(
    r"\b(?:pour|pr)\s+(?:le|les|mon|mes|ce|ces|un|son|ses|leur|votre|vos)\s+"
    r"(?:syndrome\s+(?:des|du|de)\s+)?(?:muscles?\s+)?rel[eèé]v\w*(?:\s+heures?)?"
    r"(?:\s+de\s+l['’ ]\s*anus)?"
    # "c'est quoi le traitement par botox pour mes douleurs ?", "pr ce genre de douleurs ?":
    # the pains, at the end.
    # Dictated, a new clause may follow at once ("le traitement par beau tocs pour mes
    # douleurs en bas c'est quoi exactement"), with at most two words on where it hurts.
    r"|\b(?:pour|pr)\s+(?:mes|ces|ses|vos|ce genre de|ce type de)\s+douleurs"
    r"(?:\s+(?:en bas|pelviennes|du bas|au bas|au perin[ée]e|du perin[ée]e|chroniques))?"
    r"(?=\s*(?:[?.!]|point\b|$|(?:c'est|c est|ça|ca)\s+(?:quoi|qui|comment|combien)\b))",
    re.IGNORECASE,
)


# "ça se fait où, dans un vrai bloc genre comme à la télé ?": an image, not a subject (the
# television is an off-topic subject when asked about: "il y a la télé en salle de repos ?").
_ANALOGY_RE = re.compile(
    r"\b(?:genre\s+|un peu\s+)?comme\s+(?:à|a|dans)\s+(?:la|les|un|une)\s+"
    r"(?:t[ée]l[ée]\w*|films?|s[ée]ries?)",
    re.IGNORECASE,
)


def without_told_context(sentence: str) -> str:
    """The sentence without a relative clause telling what was done to the patient, the
    condition the treatment is for, or an image (unchanged if too little would be left)."""
    core, cuts = _TOLD_RELATIVE_RE.subn("", sentence)
    for context in (_TREATED_CONDITION_RE, _ANALOGY_RE):
        core, more = context.subn("", core)
        cuts += more
    if not cuts:
        return sentence
    core = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", core.strip()))
    return core if len(normalize(core).split()) >= 3 else sentence


# A question that only asks to be told, with nothing of its own ("Pourriez-vous me la
# préciser ?", "Vous pouvez me dire ?", "Vous pouvez m'expliquer ce que c'est, ce truc ?"):
# what it asks about is in the sentence before.
_BARE_ASK_TEXT = """
    pourriez pouvez pourrais pourrait peux peut savez sauriez auriez vous tu me m moi nous
    la le les l lui en y dire preciser indiquer expliquer confirmer renseigner repondre
    svp stp s il plait merci d avance alors donc et du coup est ce que qu
    c ca cela truc machin j ai de quoi agit au juste
    en gros grosso modo concretement franchement simplement brievement rapidement
"""
_BARE_ASK_WORDS = frozenset(_BARE_ASK_TEXT.split())
# "…solliciter l'avis d'autres praticiens. Est-ce envisageable dans votre service ?": whether
# what the sentence before asks for can be done here, nothing of its own (not the place card).
_POSSIBLE_TEXT = "possible envisageable faisable realisable jouable"
_HERE_TEXT = """
    serait sera seraient chez ici dans votre vos service hopital etablissement centre equipe
    aussi egalement
"""
_POSSIBLE = frozenset(_POSSIBLE_TEXT.split())
_POSSIBLE_HERE_WORDS = _POSSIBLE | frozenset(_HERE_TEXT.split())
# "J'ai très peur de devenir incontinent après. C'est un risque connu ?", "... C'est un vrai
# risque ?": how common what the sentence before names is, nothing of its own (not the safety
# card). "C'est dangereux ?" alone still asks whether the injection is safe.
_HOW_COMMON_TEXT = """
    connu connue frequent frequente frequents frequentes courant courante courants rare rares
    normal normale habituel habituelle souvent
"""
_HOW_COMMON_GLUE_TEXT = "risque risques danger grave est un une vrai vraie arrive ce"
_HOW_COMMON = frozenset(_HOW_COMMON_TEXT.split())
_HOW_COMMON_WORDS = _HOW_COMMON | frozenset(_HOW_COMMON_GLUE_TEXT.split())


# "je (ne) sais pas ce que c'est": not knowing, with nothing of its own.
# "Je ne comprends pas trop pourquoi." after what it is about: "pourquoi" alone too.
_DONT_KNOW_TEXT = """
    mais je j sais savais pas ne n ce est c trop vraiment bien ai compris comprends etait
    pourquoi
"""
_DONT_KNOW_WORDS = frozenset(_DONT_KNOW_TEXT.split())


def _asks_about_nothing(toks: list[str]) -> bool:
    """Only asking words and not knowing: what is asked about is in the words before."""
    return all(t in _BARE_ASK_WORDS or t in _DONT_KNOW_WORDS for t in toks)


def is_bare_ask(sentence: str) -> bool:
    toks = normalize(sentence).split()
    if toks and _POSSIBLE & set(toks):
        return all(t in _BARE_ASK_WORDS or t in _POSSIBLE_HERE_WORDS for t in toks)
    words = set(toks)
    if (_HOW_COMMON & words or {"vrai", "risque"} <= words) and {"c", "ca", "cela"} & words:
        return all(t in _BARE_ASK_WORDS or t in _HOW_COMMON_WORDS for t in toks)
    # "Je n'ai pas bien compris ce que c'était, vous pouvez m'expliquer ?"
    return bool(toks) and _asks_about_nothing(toks)


def spoken_punctuation(text: str) -> str:
    for pattern, mark in _SPOKEN_PUNCTUATION:
        text = pattern.sub(mark, text)
    return text


def looks_like_question(clause: str) -> bool:
    """The clause asks something (a "?", an inversion, a question word opening it...)."""
    # "rendez-vous" is a noun, not an inversion ("Mon rendez-vous est mardi." asks nothing).
    if "?" in clause or _INVERSION_RE.search(_RENDEZ_VOUS_RE.sub("rdv", clause)):
        return True
    toks = normalize(clause).split()
    # Question words only open a question: "j'ai mal quand je suis assis" is context.
    opening = [t for t in toks[:5] if t not in _FUNCTION_WORDS][:2]
    if any(t in _OPENING_QUESTION_WORDS for t in opening) and not _told_when(clause, toks):
        return True
    joined = " ".join(toks)
    # "Ma mère demande" after the question asks nothing of its own: "demande" asks only
    # with what is asked after it ("elle demande combien de temps ça dure").
    # "À la demande de mon employeur": the noun asks nothing.
    # "J'aime savoir à quoi m'attendre", "je préfère savoir avant": a habit or a preference
    # told, not a request ("j'aimerais savoir" asks).
    asking = [
        t
        for i, t in enumerate(toks)
        if t in _ASKING_WORDS
        and not (t == "demande" and toks[i - 1 : i] in _NOUN_BEFORE)
        and not _tells_preference(toks, i)
        and not _without_object(toks, i)
        and not _told_unable(toks, i)
    ]
    if toks and toks[-1] in _TOLD_ASKING and asking[-1:] == [toks[-1]]:
        asking.pop()
    if asking or "est ce" in joined:
        return True
    # "C'est qui qui pique ?": "qui" right after "c'est" asks (elsewhere it is mostly the
    # relative pronoun, "le médecin qui pique").
    if _WHO_OR_WHAT_IS_RE.search(joined) or _OR_NOT_RE.search(joined):
        return True
    if _DONT_KNOW_RE.search(joined):
        return True
    return _EMBEDDED_FRAME_RE.search(clause) is not None


# "un gros bandage après ou rien du tout", "ça marche ou c'est du vent": an alternative with
# its negation asks yes or no, dictated without a "?".
_OR_NOT_RE = re.compile(
    r"\bou (?:pas|non|rien(?: du tout)?"
    r"|c est (?:du|de la) (?:vent|pipeau|flan|bidon|bluff|baratin))\b"
)
# "wesh c'est quoi le délire avec le botox": "c'est quoi" asks wherever it stands.
# "C'est où que ça se passe exactement, et avec quelles machines ?": "c'est où" too (not
# "c'est ou pas", "c'est ou bien…", the conjunction).
_WHO_OR_WHAT_IS_RE = re.compile(
    r"\b(?:c est|ce sont|c etait|ce sera|c) (?:qui|quoi|koi|ou(?! (?:pas|non|bien|rien|alors)\b))\b"
)
_SUBJECTS = frozenset({"je", "j", "on", "il", "elle", "ils", "elles", "nous", "vous", "ca"})


def _told_when(clause: str, toks: list[str]) -> bool:
    """ "Quand je stresse je ne tiens pas en place.", "Je panique quand je ne comprends pas."
    A "quand" followed by its subject, in a clause that ends on a full stop, tells when
    something happens; it asks nothing."""
    if not clause.rstrip().endswith((".", "!")) or "quand" not in toks[:4]:
        return False
    at = toks.index("quand")
    # After a main clause ("je panique quand…"), or opening the sentence; not after an opening
    # "et", where a dictated question may start ("et quand je rentre, je peux conduire").
    if at and all(t in _FUNCTION_WORDS for t in toks[:at]):
        return False
    return toks[at + 1 : at + 2] != [] and toks[at + 1] in _SUBJECTS


# What may follow "savoir" or "demander" when they ask: a question word anywhere after them
# ("savoir à l'avance combien…"), or a subject named right after ("savoir le prix", "savoir
# pour l'anesthésie", "demander un autre avis").
_INDIRECT_QUESTION_TEXT = """si s combien comment quand pourquoi ou qui quoi ce quel quelle
    quels quelles lequel laquelle lesquels lesquelles"""
_INDIRECT_QUESTION = frozenset(_INDIRECT_QUESTION_TEXT.split())
_NAMED_OBJECT_TEXT = """le la les l du des un une sur pour concernant plus davantage exactement
    precisement votre vos mon ma mes son sa ses leur leurs cela ca avant apres"""
_NAMED_OBJECT = frozenset(_NAMED_OBJECT_TEXT.split())
_ASKING_WITH_OBJECT = frozenset({"savoir", "demande"})
_AUXILIARY = [["a"], ["ont"], ["avait"], ["avaient"], ["ai"], ["avons"], ["as"]]


def _without_object(toks: list[str], i: int) -> bool:
    """toks[i], "savoir" or "demande", asks nothing: nothing is asked after it. "Ma femme est
    du genre à vouloir tout savoir à l'avance" tells a habit; "il m'a demandé de vous écrire"
    tells an errand ("demander de" + a verb asks someone to do, not a question)."""
    if toks[i] not in _ASKING_WITH_OBJECT:
        return False
    rest = toks[i + 1 :]
    # "ce" asks only as "ce que", "ce qui" ("savoir que je ne suis pas seule à avoir ce
    # syndrome" asks nothing).
    if any(
        t in _INDIRECT_QUESTION and (t != "ce" or rest[j + 1 : j + 2] in (["que"], ["qu"], ["qui"]))
        for j, t in enumerate(rest)
    ):
        return False
    if toks[i] == "demande" and rest[:1] in (["de"], ["d"]):
        return True
    # "son médecin a demandé un avis chez vous": a past request told (the auxiliary before
    # it), not one made now ("je demande un autre avis").
    if toks[i] == "demande" and toks[i - 1 : i] in _AUXILIARY:
        return True
    return not (rest[:1] and rest[0] in _NAMED_OBJECT) and bool(rest)


# "des douleurs que personne n'arrivait à expliquer", "aucun médecin n'a su me l'expliquer":
# what nobody could do, told (a clause with a "?" asks before this is read).
_NOBODY = frozenset({"personne", "aucun", "aucune", "nul"})


def _told_unable(toks: list[str], i: int) -> bool:
    """toks[i], an asking word, tells what nobody (or the patient) could explain rather than
    asks."""
    before = toks[max(0, i - 6) : i]
    # "je suis incapable de lui expliquer": the patient's own inability, told.
    if {"incapable", "incapables"} & set(before):
        return True
    return bool(_NOBODY & set(before)) and bool({"ne", "n"} & set(before))


def _tells_preference(toks: list[str], i: int) -> bool:
    """toks[i] is the "savoir" of a preference told ("j'aime savoir", "je préfère savoir")."""
    return toks[i] == "savoir" and bool(_PREFERENCE & set(toks[max(0, i - 2) : i]))


def _before_preference(toks: list[str]) -> list[str]:
    """The words before a preference told ("j'aime savoir à quoi m'attendre"): its "à quoi"
    asks nothing."""
    for i in range(len(toks)):
        if _tells_preference(toks, i):
            return toks[:i]
    return toks


_FIRST_PERSON = frozenset({"je", "j", "nous", "on", "me", "m"})


def _asked_in_first_person(toks: list[str]) -> bool:
    """An asking word the patient says ("je voudrais savoir", "nous aimerions savoir"), not
    one told of someone else ("Mon patron veut savoir à quoi s'attendre.")."""
    return any(
        t in _ASKING_WORDS and (i == 0 or bool(_FIRST_PERSON & set(toks[max(0, i - 5) : i])))
        for i, t in enumerate(toks)
    )


def tells_only(sentence: str) -> bool:
    """A sentence ending on a full stop that asks only through a question word inside it,
    with no request, inversion or "?": "Mais je ne vois pas comment il pourrait calmer une douleur
    pelvienne." Beside a sentence asking with a "?", it tells where the question comes from
    (a doubt, a circumstance); it is no second question."""
    stripped = sentence.rstrip()
    if not stripped.endswith(".") or stripped.endswith(".."):
        return False
    toks = normalize(stripped).split()
    joined = " ".join(toks)
    opening = [t for t in toks if t not in _FUNCTION_WORDS][:1]
    return not (
        # "Combien de temps ça dure. Il y a une cicatrice ?": a question typed with a full stop.
        set(opening) & _OPENING_QUESTION_WORDS
        or _asked_in_first_person(toks)
        or "est ce" in joined
        or _DONT_KNOW_RE.search(joined)
        or _EMBEDDED_FRAME_RE.search(stripped)
        or _INVERSION_RE.search(_RENDEZ_VOUS_RE.sub("rdv", stripped))
    )


def _asks(part: str, last: bool, sentence_asks: bool) -> bool:
    """One part of a sentence cut at "et"/"ou" asks something on its own: it looks like a
    question, holds a question word anywhere, or ends a sentence that has a "?"."""
    if looks_like_question(part) or (last and sentence_asks):
        return True
    toks = _before_preference(normalize(part).split())
    # "quand" and "ou" (où, or "or" once accents are gone) ask only at the end ("c'est
    # quand", "vous piquez où exactement"): "j'ai mal quand je suis assis" tells a circumstance.
    return (
        any(t in _QUESTION_ANYWHERE - _ASK_ONLY_LAST for t in toks)
        or any(t in _ASK_ONLY_LAST for t in toks[-2:])
        or _asks_before_subject(toks)
    )


_SUBJECT_DETERMINERS = frozenset({"l", "le", "la", "les", "cette", "ce", "cet", "mon", "ma", "mes"})


def _asks_before_subject(toks: list[str]) -> bool:
    """ "Ça se passe où l'injection", "c'est quand le rendez-vous": "où" or "quand" followed
    only by the subject they ask about (a determiner and at most two words)."""
    for i, t in enumerate(toks[:-1]):
        rest = toks[i + 1 :]
        if t in _ASK_ONLY_LAST and rest[0] in _SUBJECT_DETERMINERS and len(rest) <= 3:
            return True
    return False


# Feelings (bot.intents reads them too): "j'ai peur", "je stresse", "je suis découragé"...
EMOTION_RE = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"peur",
            r"trouille",
            r"angoiss\w*",
            r"stress\w*",
            r"panique\w*",
            r"terroris\w*",
            r"effraye\w*",
            # "inquiétant(e)" says a thing worries ("une réputation inquiétante"), not who.
            r"inquiet(?!ant)\w*",
            r"decourag\w*",
            r"deprim\w*",
            r"desespere\w*",
            r"(?:me sens|suis) (?:tres |si |tellement |bien |vraiment |trop |un peu |assez |)"
            r"seule?",
            # "mon entourage ne comprend pas ces douleurs"
            r"(?:entourage|famille|proches) ne (?:me )?comprend pas",
            r"(?:mari|femme|conjoint|compagnon|compagne) ne me comprend pas",
            # "Tellement seule avec cette douleur, personne ne me comprend."
            r"(?:tellement|si|tres|trop) seule?s?",
            r"personne (?:autour de moi |dans mon entourage )?ne (?:me )?(?:comprend|croit)",
            r"mine\w* le moral",
            r"moral (?:a zero|en berne|au plus bas|dans les chaussettes)",
            r"j en (?:peux|pouvais) plus",
            r"n en peux plus",
            r"a bout",
            r"craque\w*",
            r"pleure\w*",
            r"demoralis\w*",
            r"abattue?s?",
            r"cafard",
            r"honte\w*",
            r"(?:pas|plus) (?:trop |beaucoup )?le moral",
            r"ras le bol",
            # "C'est dur moralement de vivre avec ça au quotidien."
            r"moralement",
            r"incompris\w*",
            # "Personne ne me prenait au sérieux, ça me touche qu'on s'occupe enfin de moi."
            r"ca me touche",
            r"(?:prend|prenait|prennent|prenaient|pris|prise|prises)(?: enfin| vraiment)? au"
            r" serieux",
            # "ça fait du bien de se sentir écoutée"
            r"ca (?:me )?fait du bien (?:de|d)",
            r"psychologiquement",
            r"dure? a vivre",
            # Giving up, said with the usual idioms: "je commence à baisser les bras".
            r"bais\w* les bras",
            r"jet\w* l eponge",
            r"en (?:ai|avons) marre",
            # "j'ai la boule au ventre depuis qu'on m'a donné la date"
            r"(?:boule|noeud) (?:au ventre|a l estomac|dans la gorge)",
            # "ça fait des années que je galère", "j'espère tellement que ça va marcher",
            # "je suis tellement soulagée qu'on ait mis un nom dessus": told, not asked.
            r"(?:je|j) galere\w*",
            r"j espere (?:tellement|vraiment|tant|de tout coeur|du fond du coeur)",
            r"(?:suis|me sens|sommes) (?:tellement |si |tres |vraiment |un peu |enfin |)"
            r"soulage\w*",
            # "je suis à la fois impatient et nerveux" (not the "influx nerveux").
            r"(?:suis|me sens|sommes)(?: \w+){0,7} nerveu(?:x|se|ses)",
            # "j'ai un peu le trac pour demain"
            r"(?:le|du|un de ces) trac",
            # "Je suis fatiguée de courir de médecin en médecin" (data/triage.yaml leaves it
            # out of the fatigue of the body), "j'appréhende un peu".
            r"(?:fatiguee?s?|lasse?s?) (?:de|d) (?:courir|attendre|chercher|lutter|entendre"
            r"|expliquer|raconter|repeter|consulter|essayer|esperer|me battre|me justifier"
            r"|me plaindre)",
            r"apprehen\w*",
            # "Ça me rassure de savoir que je ne suis pas la seule à avoir ce syndrome", "ça
            # me rassure vraiment de savoir qu'une équipe s'occupe de moi": relief with its
            # reason ("merci, ça me rassure" stays thanks).
            r"(?:pas|plus) (?:la|le) seule? a (?:avoir|vivre|souffrir)",
            r"(?:ca|cela) me rassure (?:\w+ )?(?:de|d) (?:savoir|voir|sentir|lire)",
            # "Mon mari ne comprend pas ma douleur et ça me pèse un peu."
            r"(?:mari|femme|conjoint|conjointe|compagnon|compagne|famille|entourage|proches)"
            r" ne (?:me )?comprend pas (?:ma|mes|cette|ces) (?:douleurs?|souffrances?|maladie)",
            r"(?:ca|cela) me pese",
            # "J'ai enfin l'impression d'être écouté", "je me sens enfin comprise".
            r"(?:impression|sentiment) d etre (?:enfin |vraiment |bien )?(?:ecoute|entendu"
            r"|compris|considere|soutenu)e?s?",
            r"me sens (?:enfin |vraiment |bien )?(?:ecoute|entendu|compris|considere|soutenu)e?s?",
            # "Ça me redonne vraiment de l'espoir de savoir qu'il existe une solution."
            r"(?:redonn|donn|rend)\w* (?:\w+ ){0,2}(?:de l |l |un peu d |un peu de l )?espoir",
            r"(?:plein|pleine|remplie?) d espoir",
        ]
    )
    + r")\b"
)


# A request frame inside a sentence, after what the patient tells first: "Madame, souffrant
# depuis six ans de douleurs que ni les antalgiques ni la kiné n'ont calmées, je souhaiterais
# savoir à quel stade ce traitement est envisagé." What follows the frame is the question; the
# circumstances before it (medicines, job, past surgery) must not outweigh it.
_EMBEDDED_FRAME_RE = re.compile(
    r"(?:\b(?:(?:je|j')\s*(?:voudrais|souhaiterais|souhaite|aimerais|voulais)"
    r"|nous (?:voudrions|souhaiterions|souhaitons|aimerions|voulions)"
    r"|afin de|pour)"
    rf"(?:\s+{_FRAME_ADVERB})?"
    r"\s+(?:savoir|conna[iî]tre|comprendre)"
    # "Mon kiné me demande si je vais devoir en refaire d'autres": someone's question, told.
    r"|\b(?:me|m'|nous|se|lui)\s*demand(?:e|es|ent|ait|ais|aient)"
    r"(?:\s+(?:sans arr[êe]t|souvent|toujours|tout le temps|encore|aussi|tous les jours))?"
    r"(?=\s+(?:si\b|s'|combien|comment|quand|pourquoi|quel|o[uù]\b|ce qu))"
    # "On m'a proposé ce traitement mais personne ne m'a dit si ça marche vraiment."
    r"|\b(?:ne|n')\s*(?:m'a|m'ont|nous a|nous ont)\s+(?:pas\s+|jamais\s+)?"
    r"(?:dit|expliqué|explique|précisé|precise|indiqué|indique)"
    r"(?=\s+(?:si\b|s'|combien|comment|quand|pourquoi|quel|o[uù]\b|ce qu))"
    # "J'ai une trouille bleue des opérations, dites-moi que ce n'est pas de la chirurgie"
    r"|\b(?:dites|dis)[- ]moi(?: franchement| sinc[èe]rement| vite| bien)?(?= (?:que|qu'|si|s'))"
    # "Nous aimerions être rassurés quant à l'innocuité de ce geste"
    r"|\b(?:être |etre )?rassur[ée]e?s? (?:quant (?:[àa]|aux?)|sur|concernant)"
    r"|\bje (?:me permets|vous saurais gr[ée]"
    r"|vous serais (?:tr[èe]s )?(?:reconnaissante?|oblig[ée]e?))"
    r" de (?:bien vouloir )?(?:vous )?(?:demander|m'indiquer|me dire|me pr[ée]ciser|m'expliquer)"
    r"|\b(?:pourriez|pouvez|auriez|voudriez)[- ]vous (?:me |m')"
    r"(?:indiquer|dire|expliquer|pr[ée]ciser|raconter|d[ée]tailler|confirmer))"
    # "afin de connaître, dans ses grandes lignes, l'organisation…": a comma may follow.
    r"[\s,]+(?:(?:si|s')\s*)?",
    re.IGNORECASE,
)


def _after_frame(clause: str) -> str | None:
    """What a request frame standing after the clause's first words asks, or None."""
    # "…, pour savoir à quoi m'attendre": the purpose after the question is no second frame.
    clause = without_reason(clause)
    frames = list(_EMBEDDED_FRAME_RE.finditer(clause))
    found = frames[-1] if frames else None
    if found is None or not _has_word(clause[: found.start()]):
        return None
    tail = without_reason(clause[found.end() :].strip(" ,"), asks=True)
    return tail if len(normalize(tail).split()) >= 2 else None


def _focus(clause: str) -> str | None:
    """The question at the end of a clause that opens on a feeling or tells something before
    its request frame (see _after_frame), or None.

    "ça m'inquiète beaucoup qu'on touche à cette zone, on injecte où exactement ?": the feeling
    is not what is asked; the FAQ also reads the question alone, so that the feeling's words
    do not drown it. Only after a feeling: a circumstance before the comma ("et si je tombe
    enceinte, c'est un problème ?") carries the subject, and the tail alone would lose it."""
    framed = _after_frame(clause)
    if framed is not None:
        return framed
    # "On m'a proposé le botox mais c'est pour quel type de douleurs ?": "mais" cuts like a
    # comma.
    pieces = [p for p in _FOCUS_CUT_RE.split(clause) if _has_word(p)]
    for i, piece in enumerate(pieces):
        if i and (looks_like_question(piece) or _asks(piece, False, False)):
            head = normalize(",".join(pieces[:i]))
            told = _REPORTED_RE.search(head) and _BUT_RE.match(piece)
            focus = ",".join(pieces[i:]).strip()
            if _asks_about_nothing(normalize(focus).split()):
                # "…m'a parlé du syndrome mais je sais pas ce que c'est, vous pouvez
                # m'expliquer ?": what is asked about is in the words before.
                return None
            return focus if EMOTION_RE.search(head) or told else None
        if looks_like_question(piece):
            return None
    return None


# "On m'a dit que c'était juste une piqûre, mais on me la fait dans quelle pièce ?": what
# someone said, then "mais" and the question; what was said is not what is asked.
_REPORTED_RE = re.compile(
    r"\b(?:on|il|elle|ils|elles|(?:mon|ma|le|la) \w+) (?:m a|ma|m ont|nous a|nous ont) "
    r"(?:dit|explique|assure|affirme|raconte|parle|annonce|propose|conseille|prescrit"
    r"|recommande)\b"
    r"|\bj ai (?:lu|entendu)\b|\bil parait\b"
)
_BUT_RE = re.compile(r"\s*mais\b", re.IGNORECASE)
_FOCUS_CUT_RE = re.compile(r",|\s(?=mais\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Clause:
    text: str
    sentence: int  # index of its sentence
    question: bool
    # The question alone when the clause opens on a feeling or a circumstance (see _focus).
    focus: str | None = None


@dataclass(frozen=True)
class MessageAnalysis:
    """A patient message, normalised and cut once. Pure data; build it with :func:`analyse`."""

    text: str  # as typed
    prepared: str  # spoken punctuation written as marks
    folded: str  # lower case, no accents, punctuation kept
    tokens: tuple[str, ...]  # normalised tokens (bot.normalize: SMS forms expanded)
    sentences: tuple[str, ...]
    clauses: tuple[Clause, ...]

    @cached_property
    def normalized(self) -> str:
        return " ".join(self.tokens)

    @cached_property
    def for_matching(self) -> str:
        """The message as the FAQ should read it: request frames dropped, sentences kept."""
        return " ".join(_matched_part(s) for s in self.sentences) or self.prepared

    @property
    def questions(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.question)

    @property
    def readable(self) -> bool:
        """Any letter or digit (emoji, spaces and invisible characters have none)."""
        return any(ch.isalnum() for ch in self.text)

    @cached_property
    def french(self) -> bool:
        """False for another script or mostly English words; True when unsure."""
        letters = [ch for ch in self.text if ch.isalpha()]
        latin = sum(ch.isascii() or "À" <= ch <= "ÿ" or ch in "œŒæÆ" for ch in letters)
        if letters and latin < len(letters) / 2:
            return False
        words = [w for w in self.tokens if w.isalpha()]
        if len(words) < 2:
            return True
        english = sum(w in _ENGLISH for w in words)
        return not (english >= 2 and english * 2 >= len(words))


# "1) c'est guidé par quoi 2) ça se passe dans quelle salle": each number opens a sentence.
_ENUMERATION_RE = re.compile(r"(?:^|(?<=\s))\d\s?\)\s+")
# "…qui fait l'injection, et aussi si je rentre le soir même": after a request frame, a part
# opening on "si" asks too (the frame governs it).
_FRAMED_IF_RE = re.compile(r"^(?:aussi |également |egalement |puis )?(?:si|s')\b", re.IGNORECASE)


_GUESS_OPENERS_TEXT = "dans sur sous au aux a en avec par vers chez derriere devant pres entre"
_GUESS_OPENERS = frozenset(_GUESS_OPENERS_TEXT.split())
_GUESS_MAX_WORDS = 6


# "C'est qui qui pique ? Un radiologue ?": after a question about who, a person offered.
_PERSON_GUESS_OPENERS_TEXT = "un une 1 le la l les des ton votre vos"
_PERSON_GUESS_OPENERS = frozenset(_PERSON_GUESS_OPENERS_TEXT.split())
_PERSON_GUESS_MAX_WORDS = 4
_PERSONS_TEXT = (
    "radiologue radiologues medecin medecins docteur doc chirurgien chirurgienne interne"
    " internes anesthesiste infirmier infirmiere specialiste professeur prof externe etudiant"
    " stagiaire praticien equipe kine gyneco urologue gastro"
)
_PERSONS = frozenset(_PERSONS_TEXT.split())
_WHICH = frozenset({"quel", "quelle", "quels", "quelles"})


def _is_guess(sentence: str, before: str = "") -> bool:
    """A short phrase offering a guess at the answer of the question before it: opening on a
    preposition, with no question word ("Dans l'anus ?", "Au bloc ?"), or narrowing a "où"
    ("Ça se pique où ? Dans quel muscle ?"); a person after a "qui" ("Un radiologue ?")."""
    toks = normalize(sentence).split()
    asked = normalize(before).split()
    if "," in sentence or not 0 < len(toks) <= _GUESS_MAX_WORDS:
        # "Par ailleurs, il reste une cicatrice ?" opens a new question.
        return False
    words = [t for t in toks if t in _OPENING_QUESTION_WORDS]
    if toks[0] in _GUESS_OPENERS:
        return not words or (set(words) <= _WHICH and "ou" in asked[-3:])
    return (
        toks[0] in _PERSON_GUESS_OPENERS
        and len(toks) <= _PERSON_GUESS_MAX_WORDS
        and not words
        and any(t in _PERSONS for t in toks)
        and bool(_WHO_ASKED_RE.search(" ".join(asked)))
    )


# "qui" asking ("c'est qui", "qui pique", texted "cé ki ki pik"), not the relative "le médecin
# qui".
_WHO_ASKED_RE = re.compile(r"(?:^|\b(?:c est|ce|est|sont|et) )(?:qui|ki)\b")


def analyse(text: str) -> MessageAnalysis:
    prepared = _ENUMERATION_RE.sub("\n", spoken_punctuation(text))
    cut = [s for s in (m.group(0).strip() for m in _SENTENCE_RE.finditer(prepared)) if _has_word(s)]
    # "J'aimerais comprendre : c'est quoi ?" is one question introduced by its frame.
    # "L'aiguille, elle va où précisément ? Dans l'anus ?": a place or a thing offered as a
    # guess completes the question before it, it asks nothing of its own.
    merged: list[str] = []
    for s in cut:
        # "On va m'injecter le produit, mais où exactement : sous la peau, dans un muscle ?"
        framed = merged and merged[-1].endswith(":") and _asks(merged[-1].rstrip(": "), True, False)
        if framed or (merged and merged[-1].endswith("?") and _is_guess(s, merged[-1])):
            merged[-1] += " " + s
        else:
            merged.append(s)
    sentences = tuple(merged)
    clauses: list[Clause] = []
    for i, sentence in enumerate(sentences):
        parts = [p.strip(" ,") for p in _CLAUSE_CUT_RE.split(sentence)]
        parts = [p for p in parts if _has_word(p)]
        ends_asking = "?" in sentence
        asked = [_asks(p, j == len(parts) - 1, ends_asking) for j, p in enumerate(parts)]
        if len(parts) > 1:
            # "L'injection est faite par qui, et on voit comment ?": "qui" ending the first of
            # two parts asks (elsewhere it is mostly a relative, "le médecin qui pique").
            asked = [
                a or normalize(p).split()[-1:] == ["qui"] for a, p in zip(asked, parts, strict=True)
            ]
        if asked and asked[0]:
            asked = [a or bool(_FRAMED_IF_RE.match(p)) for a, p in zip(asked, parts, strict=True)]
        # Cut only where each part asks something on its own: "je rentre le soir et qui vient
        # me chercher" is two questions; "j'ai mal et combien..." stays one clause otherwise.
        if len(parts) > 1 and not all(asked):
            parts, asked = [sentence], [looks_like_question(sentence)]
        clauses.extend(
            Clause(p, i, q, _focus(p) if q else None) for p, q in zip(parts, asked, strict=True)
        )
    return MessageAnalysis(
        text=text,
        prepared=prepared,
        folded=fold(prepared),
        tokens=tuple(normalize(prepared).split()),
        sentences=sentences,
        clauses=tuple(clauses),
    )


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
