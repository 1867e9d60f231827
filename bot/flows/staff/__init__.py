"""Conversations staff have with the bot (after /vincular), one per module."""
