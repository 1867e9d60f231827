"""Telegram adapters: turn updates into flow inputs and replies into messages. Nothing else."""
