"""Reminders and check-ins around the appointment.

``plan`` is pure (plan file -> due times, expiry, texts, buttons): it never reads the clock,
the database or Telegram, so every rule about *when* is tested with plain tables. Sending,
claiming rows and marking them sent belong to the dispatcher, which calls into ``plan``.
"""
