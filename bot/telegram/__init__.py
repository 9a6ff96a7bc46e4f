"""Thin adapters between Telegram updates and the channel-agnostic core."""
