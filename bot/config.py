"""Typed settings, read from the environment and an optional ``.env`` file.

Each command asks only for what it needs: ``demo``, ``ask`` and ``check`` run on a fresh
clone with no ``.env``; ``run`` needs a token, the staff group, the hospital line and the
privacy contacts (data controller, DPO). A missing or malformed value stops the program
with one line naming the variable (:class:`SettingsError`), never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Shown by demo/ask/check when HOTLINE_PHONE is not set. Deliberately fictitious: a real
# deployment must set the hospital's own number, and `run` refuses to start without it.
DEMO_HOTLINE = "01 23 45 67 89"

# Shown to patients by demo/ask/check when the privacy contacts are not set. The consent
# text must name the data controller and how to reach the DPO (RGPD art. 13): `run`
# refuses to start with these placeholders, as with a fictitious hotline, because a patient
# told "à configurer" has not been told who holds their data.
DEMO_CONTROLLER = "responsable du traitement à configurer (DATA_CONTROLLER)"
DEMO_DPO = "contact du DPO à configurer (DPO_CONTACT)"
MAX_CONTACT = 200

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .\-()]{5,24}$")
_TOKEN_RE = re.compile(r"^[0-9]{3,}:[A-Za-z0-9_-]{10,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, name: str, expected: str) -> None:
        super().__init__(f"{name}: {expected}")
        self.name = name
        self.expected = expected


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None = None
    staff_chat_id: int | None = None
    staff_user_ids: frozenset[int] = frozenset()
    hotline_phone: str = DEMO_HOTLINE
    hotline_is_demo: bool = True
    telegram_api_base_url: str | None = None
    database_path: Path = PROJECT_ROOT / "data" / "bot.db"
    faq_dir: Path = PROJECT_ROOT / "faq"
    source_dir: Path = PROJECT_ROOT / "data" / "source"
    reminder_plan: Path = PROJECT_ROOT / "data" / "reminders.yaml"
    triage_rules: Path = PROJECT_ROOT / "data" / "triage.yaml"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    log_level: str = "INFO"
    escalation_renotify_minutes: int = 10
    escalation_max_renotify: int = 3
    retention_days: int = 90
    # Escalation policy (#11): who is paged in private once re-posts are exhausted, when an
    # acknowledged alert is recalled, when a quiet thread closes by itself.
    oncall_user_ids: frozenset[int] = frozenset()
    ack_reminder_hours: int = 4
    alert_quiet_hours: int = 12
    # Anonymous group admins and channel posts carry no person: off by default, so every
    # staff action is tied to a named member (see README, "Rôles").
    allow_anonymous_staff: bool = False
    backup_retention_days: int = 7
    data_controller: str = DEMO_CONTROLLER
    dpo_contact: str = DEMO_DPO
    # Operations (#13): outbound proxy, where scheduled backups go, `health` thresholds.
    telegram_proxy_url: str | None = None
    backup_dir: Path | None = None  # default: a "backups" folder beside the database
    health_telegram_seconds: int = 300
    health_backlog_seconds: int = 600
    health_alert_minutes: int | None = None  # default: the whole escalation ladder

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.database_path.parent / "backups"

    @property
    def alert_overdue_minutes(self) -> int:
        """An open alert older than this has had every re-post and the on-call page."""
        if self.health_alert_minutes is not None:
            return self.health_alert_minutes
        return self.escalation_renotify_minutes * (self.escalation_max_renotify + 1)

    def require_telegram(self) -> None:
        """Check what the Telegram bot needs; raise SettingsError on the first gap."""
        if not self.telegram_bot_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN", "requis pour `run` (le jeton donné par @BotFather)"
            )
        if self.staff_chat_id is None:
            raise SettingsError(
                "STAFF_CHAT_ID", "requis pour `run` (identifiant du groupe de l'équipe, ex. -100…)"
            )
        if self.hotline_is_demo:
            raise SettingsError(
                "HOTLINE_PHONE",
                "requis pour `run` (numéro joignable en permanence, ex. 01 46 41 00 00)",
            )
        if self.data_controller == DEMO_CONTROLLER:
            raise SettingsError(
                "DATA_CONTROLLER",
                "requis pour `run` (qui est responsable des données, ex. Hôpital Américain de "
                "Paris, 55 bd du Château, 92200 Neuilly-sur-Seine)",
            )
        if self.dpo_contact == DEMO_DPO:
            raise SettingsError(
                "DPO_CONTACT", "requis pour `run` (comment joindre le DPO, ex. dpo@hopital.fr)"
            )


def _read_env(env_file: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(environ)  # the real environment wins over .env
    return {k: v.strip() for k, v in values.items()}


def _path(raw: str) -> Path:
    p = Path(raw).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(raw)
        return value

    return parse


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part.strip()) for part in raw.split(",") if part.strip())


def _matching(pattern: str, transform: Callable[[str], Any] = str) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        if not re.match(pattern, raw):
            raise ValueError(raw)
        return transform(raw)

    return parse


def _phone(raw: str) -> str:
    if not _PHONE_RE.match(raw) or sum(c.isdigit() for c in raw) < 4:
        raise ValueError(raw)
    return raw


def _flag(raw: str) -> bool:
    if raw.lower() not in ("0", "1", "true", "false", "oui", "non"):
        raise ValueError(raw)
    return raw.lower() in ("1", "true", "oui")


def _log_level(raw: str) -> str:
    if raw.upper() not in _LOG_LEVELS:
        raise ValueError(raw)
    return raw.upper()


def _contact(raw: str) -> str:
    # One line a patient reads: no control characters, short enough for a phone; no braces,
    # which the texts' templates would take for placeholders.
    if len(raw) > MAX_CONTACT or not raw.isprintable() or "{" in raw or "}" in raw:
        raise ValueError(raw)
    return raw


def _setting(parse: Callable[[str], Any], expected: str) -> Any:
    """A setting read from its text by ``parse``; when it fails, ``expected`` says what to write."""

    def check(raw: object) -> Any:
        try:
            return parse(str(raw))
        except (ValueError, ZoneInfoNotFoundError):
            raise PydanticCustomError("setting", expected) from None

    return PlainValidator(check)


_INT = "un entier ≥ {}"
_IDS = "des entiers séparés par des virgules"
_HTTP = r"^https?://[^\s]+$"
_CONTACT = f"une ligne de texte de {MAX_CONTACT} caractères au plus"


class _Env(BaseModel):
    """The variables a deployment may set, each parsed from its text (names in lower case)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    telegram_bot_token: Annotated[
        str, _setting(_matching(_TOKEN_RE.pattern), "format attendu 123456789:ABC… (@BotFather)")
    ] = ""
    staff_chat_id: Annotated[int, _setting(int, "un entier (ex. -1001234567890)")] = 0
    staff_user_ids: Annotated[frozenset[int], _setting(_ids, _IDS)] = frozenset()
    oncall_user_ids: Annotated[frozenset[int], _setting(_ids, _IDS)] = frozenset()
    allow_anonymous_staff: Annotated[bool, _setting(_flag, "true ou false")] = False
    hotline_phone: Annotated[
        str, _setting(_phone, "un numéro de téléphone (ex. 01 46 41 00 00)")
    ] = ""
    telegram_api_base_url: Annotated[
        str, _setting(_matching(_HTTP), "une URL http(s), ex. http://127.0.0.1:8081/bot")
    ] = ""
    # http(s) only: SOCKS would need an extra package (httpx[socks]) for no hospital need.
    telegram_proxy_url: Annotated[
        str, _setting(_matching(_HTTP), "une URL de proxy, ex. http://proxy.hopital.local:3128")
    ] = ""
    backup_dir: Annotated[Path, _setting(_path, "un chemin")] = Path()
    database_path: Annotated[Path, _setting(_path, "un chemin")] = Path()
    faq_dir: Annotated[Path, _setting(_path, "un chemin")] = Path()
    source_dir: Annotated[Path, _setting(_path, "un chemin")] = Path()
    reminder_plan: Annotated[Path, _setting(_path, "un chemin")] = Path()
    triage_rules: Annotated[Path, _setting(_path, "un chemin")] = Path()
    timezone: Annotated[ZoneInfo, _setting(ZoneInfo, "un fuseau IANA, ex. Europe/Paris")] = (
        ZoneInfo("UTC")
    )
    log_level: Annotated[str, _setting(_log_level, "l'un de " + ", ".join(_LOG_LEVELS))] = ""
    data_controller: Annotated[str, _setting(_contact, _CONTACT)] = ""
    dpo_contact: Annotated[str, _setting(_contact, _CONTACT)] = ""
    escalation_renotify_minutes: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0
    escalation_max_renotify: Annotated[int, _setting(_int_at_least(0), _INT.format(0))] = 0
    retention_days: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0
    ack_reminder_hours: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0
    alert_quiet_hours: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0
    backup_retention_days: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0
    # Below a minute `health` would flap: the bot records a heartbeat every 30 s at most.
    health_telegram_seconds: Annotated[int, _setting(_int_at_least(60), _INT.format(60))] = 0
    health_backlog_seconds: Annotated[int, _setting(_int_at_least(60), _INT.format(60))] = 0
    health_alert_minutes: Annotated[int, _setting(_int_at_least(1), _INT.format(1))] = 0


def load_settings(
    env_file: Path | None = PROJECT_ROOT / ".env", environ: Mapping[str, str] | None = None
) -> Settings:
    """Build Settings from ``.env`` and the environment; raise SettingsError if malformed.

    A variable left empty keeps its default, as if it were not set (the defaults of _Env are
    never used: only the variables given are passed on).
    """
    env = _read_env(env_file, os.environ if environ is None else environ)
    given = {k.lower(): v for k, v in env.items() if v and k.lower() in _Env.model_fields}
    try:
        parsed = _Env.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SettingsError(str(first["loc"][0]).upper(), first["msg"]) from None
    kw = parsed.model_dump(exclude_unset=True)
    if "hotline_phone" in kw:
        kw["hotline_is_demo"] = False
    return Settings(**kw)
