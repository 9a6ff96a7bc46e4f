"""Spoken and SMS forms that triage and its safety net read on top of bot.normalize's table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Triage-only spoken and SMS forms, on top of bot.normalize.SMS_FORMS (which we may not
# edit). They matter here more than for the FAQ: a patient in trouble types fast.
EXTRA_FORMS: Final[Mapping[str, str]] = {
    "pa": "pas",
    "plu": "plus",
    "tro": "trop",
    "trp": "trop",
    "tre": "tres",
    "bocou": "beaucoup",
    "boucou": "beaucoup",
    "bcq": "beaucoup",
    "jpp": "j en peux plus",
    "jen": "j en",
    "jpeu": "je peux",
    "jveu": "je veux",
    "jss": "je suis",
    "jarive": "j arrive",
    "jetouffe": "j etouffe",
    "jtouffe": "j etouffe",
    "chepa": "je sais pas",
    "qqun": "quelqu un",
    "qq1": "quelqu un",
    "kk1": "quelqu un",
    "kelk1": "quelqu un",
    "qlqn": "quelqu un",
    "ki": "qui",
    "ct": "c etait",
    "apel": "appel",
    "urgt": "urgent",
    "envi": "envie",
    "dla": "de la",
    "yavait": "il y avait",
    "sui": "suis",
    "javais": "j avais",
    "javai": "j avais",
    "jetais": "j etais",
    "chuis": "je suis",
    "jsui": "je suis",
    "im": "i m",
}
