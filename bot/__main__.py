"""Command line: ``python -m bot run | demo | ask | check | enroll | report | backup | restore |
health``.

A thin layer over the app objects. Settings problems end with one line on stderr naming
the variable and exit code 2; content problems with ``file:line: message`` lines and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Settings, SettingsError, load_settings
from bot.content import load_all, load_conversation
from bot.conversation import Reply
from bot.logs import quiet_third_party_loggers
from bot.storage import (
    Database,
    DatabaseError,
    backup_database,
    backup_name,
    rotate_backups,
    to_db,
)
from bot.yamlfile import ContentError

EXIT_CONTENT = 1
EXIT_SETTINGS = 2


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    quiet_third_party_loggers()


def reply_json(text: str, reply: Reply) -> str:
    """One line of the `ask` contract (see shared design.md)."""
    return json.dumps(
        {
            "text": text,
            "kind": reply.kind,
            "reply": reply.text,
            "faq_id": reply.faq_id,
            "score": round(reply.score, 4) if reply.score is not None else None,
            "suggestions": [
                {"id": e.id, "question": e.question, "answer": e.answer} for e in reply.suggestions
            ],
            "severity": reply.severity,
        },
        ensure_ascii=False,
    )


def cmd_ask(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    conv = load_conversation(settings)
    for raw in stdin:
        text = raw.rstrip("\n").rstrip("\r")
        stdout.write(reply_json(text, conv.respond(text)) + "\n")
        stdout.flush()
    return 0


def cmd_demo(settings: Settings) -> int:
    from bot.console import ConsoleDemo

    ConsoleDemo(load_conversation(settings), settings.hotline_is_demo).loop()
    return 0


def cmd_check(settings: Settings, stdout: TextIO) -> int:
    conv, plan = load_all(settings)  # raises ContentError, reported by main()
    stdout.write(
        f"OK : {len(conv.faq.entries)} questions dans {settings.faq_dir}, "
        f"règles d'alerte {settings.triage_rules}, "
        f"{len(plan.steps)} étapes dans {settings.reminder_plan}.\n"
    )
    return 0


def cmd_backup(settings: Settings, path: Path | None, stdout: TextIO) -> int:
    """Copy the live database, then delete this command's copies past their retention.

    Erased patients stay in older copies until those go: the rotation bounds how long.
    """

    now = SystemClock().now()
    if path is None:
        path = settings.backups
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # copies of health data
    dest = path / backup_name(now) if path.is_dir() else path
    backup_database(settings.database_path, dest)
    stdout.write(f"Sauvegarde écrite dans {dest} (lisible par son propriétaire seulement).\n")
    removed = rotate_backups(dest.parent, settings.backup_retention_days, now, keep=dest)
    for old in removed:
        stdout.write(
            f"Ancienne sauvegarde effacée ({settings.backup_retention_days} jours) : {old}\n"
        )
    return 0


def cmd_restore(settings: Settings, path: Path, stdout: TextIO) -> int:
    from bot.backup import restore

    aside = restore(path, settings.database_path, SystemClock().now())
    stdout.write(f"Base restaurée depuis {path} dans {settings.database_path}.\n")
    if aside is not None:
        stdout.write(f"L'ancienne base est conservée sous {aside} (à effacer une fois vérifié).\n")
    return 0


def cmd_health(settings: Settings, stdout: TextIO) -> int:
    from bot.health import check

    health = check(settings, SystemClock().now())
    stdout.write(health.line() + "\n")
    return 0 if health.ok else 1


def backup_if_migrating(settings: Settings) -> None:
    """Before a command that opens (and so migrates) the database: copy it if it is older."""
    from bot.backup import backup_before_migration

    copy = backup_before_migration(settings.database_path, settings.backups, SystemClock().now())
    if copy is not None:
        logging.getLogger("bot").warning("database copied to %s before its migration", copy)


def cmd_run(settings: Settings) -> int:
    from bot.backup import run_lock
    from bot.telegram.app import run

    settings.require_telegram()  # a misconfigured start leaves nothing in the data folder
    with run_lock(settings.database_path):
        backup_if_migrating(settings)
        run(settings)
    return 0


async def _report(settings: Settings, what: str, stdout: TextIO) -> int:
    if not settings.database_path.exists():
        stdout.write("Aucune base de données : rien à signaler.\n")
        return 0
    db = await Database.open(settings.database_path)
    try:
        if what == "unanswered":
            rows = await db.unanswered_report()
            stdout.write("nombre\tsans réponse\tclarifiées\tdernière fois\texemple\n")
            for r in rows:
                stdout.write(
                    f"{r.n}\t{r.fallbacks}\t{r.clarified}\t{to_db(r.last_seen)}\t"
                    f"{' '.join(r.example.split())[:120]}\n"
                )
        else:
            alerts = await db.alerts_report()
            stdout.write(
                "alerte\tgravité\tstatut\treçue (UTC)\tdélai de prise en charge\tpatient\n"
            )
            for a in alerts:
                delay = "—"
                if a.acknowledged_at and a.severity != "question":
                    seconds = (a.acknowledged_at - a.created_at).total_seconds()
                    delay = f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
                stdout.write(
                    f"{a.id}\t{a.severity}\t{a.status}\t{to_db(a.created_at)}\t{delay}\t"
                    f"{a.label or 'non inscrit'}\n"
                )
    finally:
        await db.close()
    return 0


async def _enroll(settings: Settings, at: str, label: str, stdout: TextIO) -> int:
    """Same as /inscrire in the staff group; the running bot reads the new rows."""
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.enrollment import (
        INVITE_VALIDITY,
        Enrollment,
        appointment_error,
        label_error,
        link_for,
        parse_local,
    )
    from bot.texts import appointment_words

    if settings.telegram_bot_token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN", "requis pour `enroll` (pour former le lien)")
    parts = at.split()
    try:
        when = parse_local(parts[0], parts[1], settings.timezone) if len(parts) == 2 else None
    except ValueError:
        when = None
    if when is None:
        print('--at : attendu "AAAA-MM-JJ HH:MM", ex. "2026-12-07 09:30"', file=sys.stderr)
        return EXIT_SETTINGS
    problem = label_error(label)
    if problem is not None:
        print(f"--label : {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    clock = SystemClock()
    problem = appointment_error(when, clock.now())
    if problem is not None:
        print(f"--at : {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    from bot.telegram.request import build_request

    base_url = settings.telegram_api_base_url or "https://api.telegram.org/bot"
    bot = Bot(settings.telegram_bot_token, base_url=base_url, request=build_request(settings, 1))
    try:
        async with bot:
            username = bot.username
    except TelegramError as exc:
        print(f"Telegram injoignable ({type(exc).__name__}) : aucun patient créé.", file=sys.stderr)
        return EXIT_SETTINGS
    db = await Database.open(settings.database_path)
    try:
        invitation = await Enrollment(db, settings, clock).enroll(when, label)
    finally:
        await db.close()
    stdout.write(
        f"Patient n° {invitation.patient_id} ({label.strip()}) inscrit pour le "
        f"{appointment_words(when, settings.timezone)}.\n"
        f"Lien personnel (valable {INVITE_VALIDITY.days} jours, une seule fois) :\n"
        f"{link_for(username, invitation.token)}\n"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Assistant Telegram de suivi : injection de botox, syndrome des releveurs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    sub.add_parser("run", help="lancer le bot Telegram (long polling)")
    sub.add_parser("demo", help="démo dans le terminal, sans Telegram")
    sub.add_parser("ask", help="une question par ligne sur stdin -> une ligne JSON par réponse")
    sub.add_parser("check", help="vérifier la FAQ et les règles d'alerte")
    enroll = sub.add_parser("enroll", help="inscrire un patient et afficher son lien personnel")
    enroll.add_argument("--at", required=True, help='date et heure locales, "AAAA-MM-JJ HH:MM"')
    enroll.add_argument("--label", required=True, help="pseudonyme choisi par l'équipe")
    backup = sub.add_parser(
        "backup",
        help="sauvegarder la base (à chaud) ; efface les sauvegardes de plus de "
        "BACKUP_RETENTION_DAYS jours faites dans le même dossier",
    )
    backup.add_argument(
        "path",
        nargs="?",
        help="dossier (le fichier y est nommé bot-backup-<date>.db) ou fichier neuf ; "
        "par défaut BACKUP_DIR",
    )
    restore = sub.add_parser(
        "restore",
        help="remplacer la base par une sauvegarde vérifiée (bot arrêté ; l'ancienne est gardée)",
    )
    restore.add_argument("path", help="fichier de sauvegarde")
    sub.add_parser(
        "health",
        help="une ligne pour la supervision ; code de sortie 0 si tout va bien, 1 sinon",
    )
    report = sub.add_parser("report", help="rapports pour les administrateurs")
    report.add_argument("what", choices=["unanswered", "escalations"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Erreur de configuration : {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    setup_logging(settings.log_level)
    try:
        if args.command == "ask":
            return cmd_ask(settings, sys.stdin, sys.stdout)
        if args.command == "demo":
            return cmd_demo(settings)
        if args.command == "check":
            return cmd_check(settings, sys.stdout)
        if args.command == "health":
            return cmd_health(settings, sys.stdout)
        if args.command == "restore":
            return cmd_restore(settings, Path(args.path), sys.stdout)
        if args.command == "backup":
            return cmd_backup(settings, Path(args.path) if args.path else None, sys.stdout)
        if args.command == "run":
            return cmd_run(settings)
        backup_if_migrating(settings)
        if args.command == "report":
            return asyncio.run(_report(settings, args.what, sys.stdout))
        if args.command == "enroll":
            return asyncio.run(_enroll(settings, args.at, args.label, sys.stdout))
    except SettingsError as exc:
        print(f"Erreur de configuration : {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    except ContentError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return EXIT_CONTENT
    except DatabaseError as exc:
        print(f"Base de données : {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    return EXIT_SETTINGS


if __name__ == "__main__":
    sys.exit(main())
