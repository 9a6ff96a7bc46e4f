"""Every callback_data the bot puts under a message, encoded and decoded in one place.

Telegram hands back callback_data as the client sends it, so anyone can forge it. Decoding
is strict (anything unknown or malformed is ``None``), and every decoded value knows who may
press it: a patient's button acts only in a private chat (and only on that chat's own rows,
checked by the handler), a staff button only in the staff group (#12: a forged
``erase:yes`` pressed in the staff group once deleted the group's pending posts).

The formats are those already under messages in patients' chats, so old buttons keep
working. Telegram allows 64 bytes; ids are short and validated when content is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["patient", "staff"]

FAQ = "faq:"
OTHER = "faq:-"
THEME = "thm:"
THEMES = "thm:-"
MAX_BYTES = 64


@dataclass(frozen=True)
class FaqAnswer:
    entry_id: str


@dataclass(frozen=True)
class OtherQuestion:
    pass


@dataclass(frozen=True)
class Themes:
    pass


@dataclass(frozen=True)
class Theme:
    index: int


@dataclass(frozen=True)
class Forward:
    question_id: int


@dataclass(frozen=True)
class Consent:
    yes: bool


@dataclass(frozen=True)
class Erase:
    yes: bool


@dataclass(frozen=True)
class CheckinAnswer:
    step_row: int
    value: str


@dataclass(frozen=True)
class Ack:
    alert_id: int


@dataclass(frozen=True)
class Close:
    alert_id: int


@dataclass(frozen=True)
class RelaySend:
    draft_id: int


@dataclass(frozen=True)
class RelayCancel:
    draft_id: int


Callback = (
    FaqAnswer
    | OtherQuestion
    | Themes
    | Theme
    | Forward
    | Consent
    | Erase
    | CheckinAnswer
    | Ack
    | Close
    | RelaySend
    | RelayCancel
)
STAFF_CALLBACKS = (Ack, Close, RelaySend, RelayCancel)


def audience(cb: Callback) -> Audience:
    return "staff" if isinstance(cb, STAFF_CALLBACKS) else "patient"


def encode(cb: Callback) -> str:
    match cb:
        case OtherQuestion():
            data = OTHER
        case FaqAnswer(entry_id):
            data = FAQ + entry_id
        case Themes():
            data = THEMES
        case Theme(index):
            data = f"{THEME}{index}"
        case Forward(question_id):
            data = f"fwd:{question_id}"
        case Consent(yes):
            data = "consent:yes" if yes else "consent:no"
        case Erase(yes):
            data = "erase:yes" if yes else "erase:no"
        case CheckinAnswer(row, value):
            data = f"ci:{row}:{value}"
        case Ack(alert_id):
            data = f"ack:{alert_id}"
        case Close(alert_id):
            data = f"close:{alert_id}"
        case RelaySend(draft_id):
            data = f"rs:{draft_id}"
        case RelayCancel(draft_id):
            data = f"rc:{draft_id}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback_data over Telegram's 64 bytes")
    return data


def _number(raw: str) -> int | None:
    # isdecimal() alone accepts "²" and other digits int() refuses or reads differently.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def decode(data: str | None) -> Callback | None:
    """The button pressed, or None for anything the bot never made."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    if data == OTHER:
        return OtherQuestion()
    if data == THEMES:
        return Themes()
    head, _, rest = data.partition(":")
    match head:
        case "faq":
            return FaqAnswer(rest) if rest and rest.isascii() else None
        case "thm":
            n = _number(rest)
            return None if n is None else Theme(n)
        case "consent" | "erase" if rest in ("yes", "no"):
            return Consent(rest == "yes") if head == "consent" else Erase(rest == "yes")
        case "ci":
            raw_row, _, value = rest.partition(":")
            row = _number(raw_row)
            return CheckinAnswer(row, value) if row is not None and value else None
    n = _number(rest)
    if n is None:
        return None
    match head:
        case "fwd":
            return Forward(n)
        case "ack":
            return Ack(n)
        case "close":
            return Close(n)
        case "rs":
            return RelaySend(n)
        case "rc":
            return RelayCancel(n)
    return None
