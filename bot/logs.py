"""Logging rules: patients' words never reach a log file.

Our own modules log ids, kinds and exception class names only. Third-party libraries are
capped because at DEBUG they log what they handle: python-telegram-bot logs every request's
parameters (message texts), aiosqlite every statement's values, and httpx every URL (which
contains the bot token) even at INFO. LOG_LEVEL=DEBUG therefore debugs our code, not theirs.
"""

from __future__ import annotations

import logging

THIRD_PARTY_FLOORS = {
    "telegram": logging.INFO,
    "aiosqlite": logging.INFO,
    "apscheduler": logging.INFO,
    # "skipped: maximum number of running instances reached" every 2 s while a tick delivers
    # a long burst: expected (ticks never overlap by design), not worth a warning each time.
    "apscheduler.scheduler": logging.ERROR,
    # "Running job"/"executed successfully" for every tick: two lines every 2 s in journald.
    "apscheduler.executors": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
}


def quiet_third_party_loggers() -> None:
    for name, floor in THIRD_PARTY_FLOORS.items():
        logging.getLogger(name).setLevel(floor)
