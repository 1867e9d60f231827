"""Telegram adapters (python-telegram-bot): updates in, messages out."""
