"""Conversations citizens have with the bot, one per module."""
