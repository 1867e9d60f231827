"""Outbound gateway ports and their vendor adapters (Twilio, Telegram, console)."""
