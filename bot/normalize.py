"""French text normalisation shared by the FAQ engine and triage.

Patients write on phones: no accents, SMS spellings ("jpeux", "koi", "cb"), typographic
apostrophes, elisions ("l'injection"), emoji. Everything that compares patient text with
admin-written text goes through :func:`normalize` first so that both sides meet in the same
plain form: lower case, no accents, ASCII letters and digits separated by single spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

# SMS and spoken forms -> standard words. Keys are already normalised (no accents).
# Kept deliberately conservative: a key must not be a common French word by itself
# ("sa", "ce", "dit" are not here) or it would corrupt ordinary sentences.
SMS_FORMS: dict[str, str] = {
    "cb": "combien",
    "cbien": "combien",
    "koi": "quoi",
    "koa": "quoi",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pkoi": "pourquoi",
    "pourkoi": "pourquoi",
    "pr": "pour",
    "tt": "tout",
    "tte": "toute",
    "tts": "tous",
    "ttes": "toutes",
    "c": "c est",
    "cest": "c est",
    "stp": "s il te plait",
    "svp": "s il vous plait",
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jsui": "je suis",
    "jpeux": "je peux",
    "jpe": "je peux",
    "jpx": "je peux",
    "jveux": "je veux",
    "jvx": "je veux",
    "jsais": "je sais",
    "jsp": "je sais pas",
    "jai": "j ai",
    "g": "j ai",
    "jarrive": "j arrive",
    "jarrete": "j arrete",
    "jaimerais": "j aimerais",
    "jvais": "je vais",
    "jdois": "je dois",
    "jme": "je me",
    "jne": "je ne",
    "ya": "il y a",
    "yaura": "il y aura",
    "yora": "il y aura",
    "bcp": "beaucoup",
    "bcoup": "beaucoup",
    "ds": "dans",
    "dc": "donc",
    "qd": "quand",
    "kan": "quand",
    "kand": "quand",
    "ke": "que",
    "kel": "quel",
    "kelle": "quelle",
    "keske": "est ce que",
    "kesk": "est ce que",
    "esk": "est ce que",
    "eske": "est ce que",
    "vs": "vous",
    "ns": "nous",
    "tjrs": "toujours",
    "tjr": "toujours",
    "tjs": "toujours",
    "mm": "meme",
    "mtn": "maintenant",
    "mnt": "maintenant",
    "auj": "aujourd hui",
    "ajd": "aujourd hui",
    "aujourdhui": "aujourd hui",
    "dmn": "demain",
    "rdv": "rendez vous",
    "rdvs": "rendez vous",
    "bjr": "bonjour",
    "bsr": "bonsoir",
    "slt": "salut",
    "mrc": "merci",
    "mci": "merci",
    "dsl": "desole",
    "pb": "probleme",
    "pbs": "problemes",
    "pbm": "probleme",
    "qq": "quelque",
    "qqch": "quelque chose",
    "qqc": "quelque chose",
    "qqn": "quelqu un",
    "kelkun": "quelqu un",
    "tps": "temps",
    "hr": "heure",
    "hrs": "heures",
    "min": "minutes",
    "mins": "minutes",
    "mn": "minutes",
    "doc": "docteur",
    "dr": "docteur",
    "pdt": "pendant",
    "oki": "ok",
    "okay": "ok",
    "vrmt": "vraiment",
    "vrm": "vraiment",
    "tkt": "t inquiete",
    "jcrois": "je crois",
    # "sa se fé où ?", "c fé où ?": "fait" spelled by its sound.
    "fe": "fait",
    # "c 1 opé ou pas ?": the operation, cut short.
    "ope": "operation",
    "opes": "operations",
}

_APOSTROPHES = "'’‘`´ʼ′"
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}


def fold(text: str) -> str:
    """Lower case, ligatures expanded, accents removed; punctuation kept."""
    for lig, rep in _LIGATURES.items():
        text = text.replace(lig, rep)
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def raw_tokens(text: str) -> list[str]:
    """Folded alphanumeric tokens; apostrophes split elisions ("l'injection" -> l, injection)."""
    folded = fold(text)
    for a in _APOSTROPHES:
        folded = folded.replace(a, " ")
    return _TOKEN_RE.findall(folded)


# "avc" is texted "avec" ("je peux venir avc ma mère ?") and is also the stroke ("j'ai fait
# un AVC"): "avec" only before a person or a determiner, and never after an article or a
# possessive ("un avc la semaine dernière", "risque d'avc", "mon avc").
_AVEC_BEFORE_TEXT = """
    moi toi lui elle elles eux nous vous ma mon mes ta ton tes sa son ses le la les l un une des
    du 1 quelqu qqn qui quoi koi quel quelle quels quelles kel kelle lequel laquelle cette tt
    tout toute tous
"""
_AVEC_BEFORE = frozenset(_AVEC_BEFORE_TEXT.split())
_STROKE_AFTER_TEXT = "un d l mon ton son notre votre leur petit fait cet ce"
_STROKE_AFTER = frozenset(_STROKE_AFTER_TEXT.split())


def expand_sms(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok == "c" and i + 1 < len(tokens) and tokens[i + 1] in {"est", "etait"}:
            out.append(tok)  # "c'est" already split by the apostrophe: not the SMS "c"
            continue
        if is_texted_avec(tokens, i):
            out.append("avec")
            continue
        out.extend(spelled_out(tok, SMS_FORMS))
    return out


def is_texted_avec(tokens: Sequence[str], i: int) -> bool:
    """tokens[i] is "avc" texted for "avec", not the stroke (see _AVEC_BEFORE)."""
    if tokens[i] != "avc" or not tokens[i + 1 : i + 2] or tokens[i + 1] not in _AVEC_BEFORE:
        return False
    return not (i and tokens[i - 1] in _STROKE_AFTER)


def spelled_out(tok: str, forms: Mapping[str, str]) -> list[str]:
    """The words a short form stands for ("pk" -> pourquoi), or the token itself."""
    rep = forms.get(tok)
    return [tok] if rep is None else rep.split()


def tokens(text: str) -> list[str]:
    """The normalised token list: folded, elisions split, SMS forms expanded."""
    return expand_sms(raw_tokens(text))


def normalize(text: str) -> str:
    """The normalised text as one space-separated string."""
    return " ".join(tokens(text))
