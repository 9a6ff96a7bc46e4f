"""The schema, one numbered migration at a time (``PRAGMA user_version`` counts them)."""

from __future__ import annotations

import textwrap


def _rebuild(table: str, definition: str, columns: str, indexes: tuple[str, ...] = ()) -> str:
    """SQL that rebuilds ``table`` as ``definition``: create it anew, copy ``columns`` across,
    drop the old table, give the new one its name, then re-create its ``indexes`` (they go
    with the old table). SQLite cannot add a CHECK to an existing column any other way."""
    body = textwrap.indent(textwrap.dedent(definition).strip("\n"), " " * 8)
    return (
        "\n    ".join(
            (
                f"\n    CREATE TABLE new_{table} (\n{body}\n    );",
                f"INSERT INTO new_{table} ({columns}) SELECT {columns} FROM {table};",
                f"DROP TABLE {table};",
                f"ALTER TABLE new_{table} RENAME TO {table};",
                *indexes,
            )
        )
        + "\n"
    )


# Migration 7 (#14 typed storage): CHECK constraints on every status column, so a misspelt
# status is refused by SQLite instead of leaving a row no query ever picks up again. SQLite
# cannot add a CHECK to a column: each table is rebuilt (create, copy, drop, rename,
# re-index), with foreign keys off so dropping the old table cascades nothing; the runner
# checks the foreign keys before it commits. The tables are spelt out as they stand at
# version 7, not derived from the earlier migrations: a shipped migration never changes.
_MIGRATION_7 = (
    _rebuild(
        "patients",
        """
        id              INTEGER PRIMARY KEY,
        label           TEXT NOT NULL,
        chat_id         INTEGER UNIQUE,
        appointment_at  TEXT,
        status          TEXT NOT NULL DEFAULT 'invited'
                        CHECK (status IN ('invited', 'active', 'stopped', 'cancelled')),
        created_at      TEXT NOT NULL,
        consented_at    TEXT
    """,
        "id, label, chat_id, appointment_at, status, created_at, consented_at",
    )
    + _rebuild(
        "steps",
        """
        id               INTEGER PRIMARY KEY,
        patient_id       INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        step_id          TEXT NOT NULL,
        kind             TEXT NOT NULL,
        due_at           TEXT NOT NULL,
        expires_at       TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'sent', 'missed', 'cancelled',
                                           'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT,
        sent_at          TEXT,
        message_id       INTEGER,
        last_error       TEXT,
        answer           TEXT,
        score            INTEGER,
        answered_at      TEXT,
        no_answer_noted  INTEGER NOT NULL DEFAULT 0,
        UNIQUE (patient_id, step_id)
    """,
        (
            "id, patient_id, step_id, kind, due_at, expires_at, status, attempts, "
            "next_attempt_at, sent_at, message_id, last_error, answer, score, answered_at, "
            "no_answer_noted"
        ),
        (
            "CREATE INDEX steps_due ON steps(status, due_at);",
            "CREATE INDEX steps_unanswered ON steps(sent_at)\n"
            "        WHERE kind = 'checkin' AND status = 'sent' AND answer IS NULL"
            " AND no_answer_noted = 0;",
        ),
    )
    + _rebuild(
        "alerts",
        """
        id                    INTEGER PRIMARY KEY,
        patient_id            INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        chat_id               INTEGER NOT NULL,
        severity              TEXT NOT NULL,
        categories            TEXT NOT NULL,
        status                TEXT NOT NULL DEFAULT 'open'
                              CHECK (status IN ('open', 'acknowledged', 'closed',
                                                'auto_closed')),
        created_at            TEXT NOT NULL,
        acknowledged_at       TEXT,
        acknowledged_by       INTEGER,
        acknowledged_by_name  TEXT,
        closed_at             TEXT,
        renotify_count        INTEGER NOT NULL DEFAULT 0,
        next_renotify_at      TEXT,
        kind                  TEXT NOT NULL DEFAULT 'urgent'
                              CHECK (kind IN ('urgent', 'check', 'checkin', 'request',
                                              'question', 'note')),
        last_activity_at      TEXT,
        told                  TEXT,
        oncall_at             TEXT,
        ack_reminded_at       TEXT
    """,
        (
            "id, patient_id, chat_id, severity, categories, status, created_at, "
            "acknowledged_at, acknowledged_by, acknowledged_by_name, closed_at, "
            "renotify_count, next_renotify_at, kind, last_activity_at, told, oncall_at, "
            "ack_reminded_at"
        ),
        ("CREATE INDEX alerts_chat_status ON alerts(chat_id, status);",),
    )
    + _rebuild(
        "outbox",
        """
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        text        TEXT NOT NULL,
        buttons     TEXT,
        reply_to    INTEGER,
        purpose     TEXT NOT NULL,
        alert_id    INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        status      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        sent_at     TEXT,
        message_id  INTEGER,
        last_error  TEXT,
        priority    INTEGER NOT NULL DEFAULT 0,
        plain       INTEGER NOT NULL DEFAULT 0
    """,
        (
            "id, chat_id, text, buttons, reply_to, purpose, alert_id, patient_id, status, "
            "attempts, not_before, created_at, sent_at, message_id, last_error, priority, "
            "plain"
        ),
        (
            "CREATE INDEX outbox_due ON outbox(status, not_before);",
            "CREATE INDEX outbox_staff_due ON outbox(chat_id, status, priority, not_before);",
        ),
    )
    + _rebuild(
        "redactions",
        """
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        last_error  TEXT,
        PRIMARY KEY (chat_id, message_id)
    """,
        ("chat_id, message_id, reason, status, attempts, not_before, created_at, last_error"),
        ("CREATE INDEX redactions_due ON redactions(status, not_before);",),
    )
)

# Each entry is one schema version; never edit a shipped one, append a new one.
MIGRATIONS: list[str] = [
    # 1: patients, unanswered questions, alerts and the outgoing-message queue.
    """
    CREATE TABLE patients (
        id              INTEGER PRIMARY KEY,
        label           TEXT NOT NULL,
        chat_id         INTEGER UNIQUE,
        appointment_at  TEXT,
        status          TEXT NOT NULL DEFAULT 'invited',
        created_at      TEXT NOT NULL,
        consented_at    TEXT
    );
    CREATE TABLE unanswered (
        id          INTEGER PRIMARY KEY,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        chat_id     INTEGER,
        kind        TEXT NOT NULL,
        normalized  TEXT NOT NULL,
        text        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX unanswered_created ON unanswered(created_at);
    CREATE TABLE alerts (
        id                    INTEGER PRIMARY KEY,
        patient_id            INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        chat_id               INTEGER NOT NULL,
        severity              TEXT NOT NULL,
        categories            TEXT NOT NULL,
        status                TEXT NOT NULL DEFAULT 'open',
        created_at            TEXT NOT NULL,
        acknowledged_at       TEXT,
        acknowledged_by       INTEGER,
        acknowledged_by_name  TEXT,
        closed_at             TEXT,
        renotify_count        INTEGER NOT NULL DEFAULT 0,
        next_renotify_at      TEXT
    );
    CREATE INDEX alerts_chat_status ON alerts(chat_id, status);
    CREATE TABLE alert_posts (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        text        TEXT NOT NULL,
        buttons     TEXT,
        reply_to    INTEGER,
        purpose     TEXT NOT NULL,
        alert_id    INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        status      TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        sent_at     TEXT,
        message_id  INTEGER,
        last_error  TEXT
    );
    CREATE INDEX outbox_due ON outbox(status, not_before);
    """,
    # 2: personal links and each patient's plan steps.
    """
    CREATE TABLE invites (
        token_hash      TEXT PRIMARY KEY,
        patient_id      INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        opened_chat_id  INTEGER,
        used_at         TEXT
    );
    CREATE INDEX invites_opened ON invites(opened_chat_id);
    CREATE TABLE steps (
        id               INTEGER PRIMARY KEY,
        patient_id       INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        step_id          TEXT NOT NULL,
        kind             TEXT NOT NULL,
        due_at           TEXT NOT NULL,
        expires_at       TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT,
        sent_at          TEXT,
        message_id       INTEGER,
        last_error       TEXT,
        answer           TEXT,
        score            INTEGER,
        answered_at      TEXT,
        no_answer_noted  INTEGER NOT NULL DEFAULT 0,
        UNIQUE (patient_id, step_id)
    );
    CREATE INDEX steps_due ON steps(status, due_at);
    """,
    # 3: unanswered check-ins are looked up every tick; only the few waiting ones are indexed.
    """
    CREATE INDEX steps_unanswered ON steps(sent_at)
        WHERE kind = 'checkin' AND status = 'sent' AND answer IS NULL AND no_answer_noted = 0;
    """,
    # 4: the durable inbox; alert kinds, thread activity and the escalation policy's marks;
    # relay drafts (no staff text reaches a patient without "Envoyer"); staff post priority.
    """
    CREATE TABLE inbox (
        update_id    INTEGER PRIMARY KEY,
        payload      TEXT,
        status       TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        received_at  TEXT NOT NULL,
        handled_at   TEXT,
        alert_id     INTEGER
    );
    CREATE INDEX inbox_pending ON inbox(update_id) WHERE status = 'pending';
    ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'urgent';
    ALTER TABLE alerts ADD COLUMN last_activity_at TEXT;
    ALTER TABLE alerts ADD COLUMN told TEXT;
    ALTER TABLE alerts ADD COLUMN oncall_at TEXT;
    ALTER TABLE alerts ADD COLUMN ack_reminded_at TEXT;
    UPDATE alerts SET kind = 'question' WHERE severity = 'question';
    UPDATE alerts SET last_activity_at = COALESCE(acknowledged_at, created_at);
    CREATE TABLE relay_drafts (
        id          INTEGER PRIMARY KEY,
        alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        author_id   INTEGER NOT NULL,
        text        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'sent', 'cancelled')),
        created_at  TEXT NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN plain INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_staff_due ON outbox(chat_id, status, priority, not_before);
    """,
    # 5 (#12 erasure): the bot's posts in the staff group about an erased patient (or one past
    # the retention period), to be edited to "message effacé" or deleted. Ids only: nothing
    # here says who the patient was.
    """
    CREATE TABLE redactions (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        last_error  TEXT,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX redactions_due ON redactions(status, not_before);
    """,
    # 6 (#13 operations): when the running bot last talked to Telegram, started, stopped,
    # so that `python -m bot health`, another process, can tell. Times only, no content.
    """
    CREATE TABLE heartbeat (
        key  TEXT PRIMARY KEY,
        at   TEXT NOT NULL
    );
    """,
    # 7 (#14 typed storage): CHECK constraints on every status column (see _MIGRATION_7).
    _MIGRATION_7,
]

SCHEMA_VERSION = len(MIGRATIONS)
