"""The facade: one object, one connection, every aggregate's methods."""

from __future__ import annotations

from bot.storage.alerts import AlertStore
from bot.storage.erasure import ErasureStore
from bot.storage.inbox import InboxStore
from bot.storage.outbox import OutboxStore
from bot.storage.patients import PatientStore
from bot.storage.questions import QuestionStore
from bot.storage.steps import StepStore


class Database(
    PatientStore, StepStore, AlertStore, OutboxStore, QuestionStore, InboxStore, ErasureStore
):
    """The bot's database: ``await Database.open(path)``, then any aggregate's method."""
