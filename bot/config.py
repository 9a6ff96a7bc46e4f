"""Typed settings, read from the environment and an optional ``.env`` file.

Each command asks only for what it needs: ``demo``, ``ask`` and ``check`` run on a fresh
clone with no ``.env``; ``run`` needs a token, the staff group, the hospital line and the
privacy contacts (data controller, DPO). A missing or malformed value stops the program
with one line naming the variable (:class:`SettingsError`), never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

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


def _int(name: str, raw: str, expected: str, minimum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, expected) from None
    if minimum is not None and value < minimum:
        raise SettingsError(name, expected)
    return value


def _id_set(name: str, raw: str) -> frozenset[int]:
    expected = "des entiers séparés par des virgules"
    return frozenset(_int(name, part.strip(), expected) for part in raw.split(",") if part.strip())


def load_settings(
    env_file: Path | None = PROJECT_ROOT / ".env", environ: Mapping[str, str] | None = None
) -> Settings:
    """Build Settings from ``.env`` and the environment; raise SettingsError if malformed."""
    env = _read_env(env_file, os.environ if environ is None else environ)
    kw: dict[str, object] = {}

    token = env.get("TELEGRAM_BOT_TOKEN", "")
    if token:
        if not _TOKEN_RE.match(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN", "format attendu 123456789:ABC… (@BotFather)")
        kw["telegram_bot_token"] = token

    if raw := env.get("STAFF_CHAT_ID", ""):
        kw["staff_chat_id"] = _int("STAFF_CHAT_ID", raw, "un entier (ex. -1001234567890)")

    if raw := env.get("STAFF_USER_IDS", ""):
        kw["staff_user_ids"] = _id_set("STAFF_USER_IDS", raw)

    if raw := env.get("ONCALL_USER_IDS", ""):
        kw["oncall_user_ids"] = _id_set("ONCALL_USER_IDS", raw)

    if raw := env.get("ALLOW_ANONYMOUS_STAFF", ""):
        if raw.lower() not in ("0", "1", "true", "false", "oui", "non"):
            raise SettingsError("ALLOW_ANONYMOUS_STAFF", "true ou false")
        kw["allow_anonymous_staff"] = raw.lower() in ("1", "true", "oui")

    if raw := env.get("HOTLINE_PHONE", ""):
        if not _PHONE_RE.match(raw) or sum(c.isdigit() for c in raw) < 4:
            raise SettingsError("HOTLINE_PHONE", "un numéro de téléphone (ex. 01 46 41 00 00)")
        kw["hotline_phone"] = raw
        kw["hotline_is_demo"] = False

    if raw := env.get("TELEGRAM_API_BASE_URL", ""):
        if not re.match(r"^https?://[^\s]+$", raw):
            raise SettingsError(
                "TELEGRAM_API_BASE_URL", "une URL http(s), ex. http://127.0.0.1:8081/bot"
            )
        kw["telegram_api_base_url"] = raw

    if raw := env.get("TELEGRAM_PROXY_URL", ""):
        # http(s) only: SOCKS would need an extra package (httpx[socks]) for no hospital need.
        if not re.match(r"^https?://[^\s]+$", raw):
            raise SettingsError(
                "TELEGRAM_PROXY_URL", "une URL de proxy, ex. http://proxy.hopital.local:3128"
            )
        kw["telegram_proxy_url"] = raw

    for name, attr in (
        ("BACKUP_DIR", "backup_dir"),
        ("DATABASE_PATH", "database_path"),
        ("FAQ_DIR", "faq_dir"),
        ("SOURCE_DIR", "source_dir"),
        ("REMINDER_PLAN", "reminder_plan"),
        ("TRIAGE_RULES", "triage_rules"),
    ):
        if raw := env.get(name, ""):
            kw[attr] = _path(raw)

    if raw := env.get("TIMEZONE", ""):
        try:
            kw["timezone"] = ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError("TIMEZONE", "un fuseau IANA, ex. Europe/Paris") from None

    if raw := env.get("LOG_LEVEL", ""):
        if raw.upper() not in _LOG_LEVELS:
            raise SettingsError("LOG_LEVEL", "l'un de " + ", ".join(_LOG_LEVELS))
        kw["log_level"] = raw.upper()

    for name, attr in (("DATA_CONTROLLER", "data_controller"), ("DPO_CONTACT", "dpo_contact")):
        if raw := env.get(name, ""):
            # One line a patient reads: no control characters, short enough for a phone; no
            # braces, which the texts' templates would take for placeholders.
            if len(raw) > MAX_CONTACT or not raw.isprintable() or "{" in raw or "}" in raw:
                raise SettingsError(name, f"une ligne de texte de {MAX_CONTACT} caractères au plus")
            kw[attr] = raw

    for name, attr, minimum in (
        ("ESCALATION_RENOTIFY_MINUTES", "escalation_renotify_minutes", 1),
        ("ESCALATION_MAX_RENOTIFY", "escalation_max_renotify", 0),
        ("RETENTION_DAYS", "retention_days", 1),
        ("ACK_REMINDER_HOURS", "ack_reminder_hours", 1),
        ("ALERT_QUIET_HOURS", "alert_quiet_hours", 1),
        ("BACKUP_RETENTION_DAYS", "backup_retention_days", 1),
        # Below a minute `health` would flap: the bot records a heartbeat every 30 s at most.
        ("HEALTH_TELEGRAM_SECONDS", "health_telegram_seconds", 60),
        ("HEALTH_BACKLOG_SECONDS", "health_backlog_seconds", 60),
        ("HEALTH_ALERT_MINUTES", "health_alert_minutes", 1),
    ):
        if raw := env.get(name, ""):
            kw[attr] = _int(name, raw, f"un entier ≥ {minimum}", minimum)

    return Settings(**kw)  # type: ignore[arg-type]
