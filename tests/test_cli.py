"""The command line, run as a real process the way admins and other tools run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import DEMO_HOTLINE, PROJECT_ROOT

CONTRACT_KEYS = {"text", "kind", "reply", "faq_id", "score", "suggestions", "severity"}


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOTLINE"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd or PROJECT_ROOT,
        timeout=60,
        check=False,
    )


def test_help_lists_subcommands() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    for sub in ("run", "demo", "ask", "check", "report"):
        assert sub in out.stdout


def test_ask_follows_the_json_lines_contract(tmp_path: Path) -> None:
    lines = [
        "combien de temps dure l'injection ?",
        "je saigne beaucoup depuis ce matin",
        "combien ça coûte ?",
        "merci beaucoup",
        "",
    ]
    out = run_cli(
        "ask",
        stdin="\n".join(lines) + "\n",
        env={"HOTLINE_PHONE": "01 46 41 00 00", "DATABASE_PATH": str(tmp_path / "no.db")},
        cwd=tmp_path,  # from anywhere, with no .env
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert all(set(r) == CONTRACT_KEYS for r in rows)
    assert [r["text"] for r in rows] == lines
    answer, urgent, fallback, thanks, empty = rows
    assert answer["kind"] == "answer" and answer["faq_id"] and "30 minutes" in answer["reply"]
    assert urgent["kind"] == "urgent" and "01 46 41 00 00" in urgent["reply"]
    assert urgent["severity"] == "urgent"
    assert fallback["kind"] == "fallback" and "01 46 41 00 00" in fallback["reply"]
    assert thanks["kind"] == "smalltalk"
    assert empty["kind"] == "smalltalk"
    assert all("<" not in r["reply"] for r in rows)  # no HTML tags in the contract
    assert not (tmp_path / "no.db").exists()  # ask never writes a database


def test_ask_without_env_uses_the_demo_line() -> None:
    out = run_cli("ask", stdin="je veux parler à quelqu'un\n")
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["kind"] == "urgent" and DEMO_HOTLINE in row["reply"]


def test_check_passes_on_shipped_files() -> None:
    out = run_cli("check")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("OK")


def test_check_reports_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "triage.yaml"
    broken.write_text("severities:\n  vital: [oops\n")
    out = run_cli("check", env={"TRIAGE_RULES": str(broken)})
    assert out.returncode == 1
    assert out.stderr.startswith(f"{broken}:")
    assert "Traceback" not in out.stderr


def test_run_without_token_is_one_clear_line() -> None:
    out = run_cli("run", env={"TELEGRAM_BOT_TOKEN": ""})
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in out.stderr and "Traceback" not in out.stderr


def test_malformed_setting_is_one_clear_line() -> None:
    out = run_cli("ask", env={"STAFF_CHAT_ID": "le-groupe"}, stdin="bonjour\n")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "Erreur de configuration : STAFF_CHAT_ID: un entier (ex. -1001234567890)"
    )


def test_newer_database_is_refused_by_report(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "bot.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    out = run_cli("report", "unanswered", env={"DATABASE_PATH": str(path)})
    assert out.returncode == 2
    assert "plus récente" in out.stderr and "Traceback" not in out.stderr


async def test_reports_list_unanswered_by_frequency_and_alert_delays(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.storage import Database

    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    for text in ["Combien ça coûte ?", "combien ca coute", "Et le parking ?"]:
        from bot.normalize import normalize

        await db.record_unanswered(
            chat_id=1,
            patient_id=None,
            kind="fallback",
            normalized=normalize(text),
            text=text,
            now=now,
        )
    alert_id = await db.create_alert(
        chat_id=1,
        patient_id=None,
        kind="urgent",
        severity="urgent",
        categories="saignement",
        told="15",
        priority=40,
        now=now,
        renotify_at=now,
        staff_chat_id=-1,
        post_text="x",
        post_buttons="[]",
    )
    await db.acknowledge_alert(alert_id, 5, "Claire", now + timedelta(minutes=3, seconds=7))
    await db.close()
    env = {"DATABASE_PATH": str(path)}
    out = run_cli("report", "unanswered", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].startswith("2\t2\t0\t") and "co" in lines[1]
    assert lines[2].startswith("1\t1\t0\t") and "parking" in lines[2]
    out = run_cli("report", "escalations", env=env)
    assert out.returncode == 0, out.stderr
    assert "\turgent\tacknowledged\t2026-12-01T08:00:00Z\t3 min 07 s\tnon inscrit" in out.stdout
