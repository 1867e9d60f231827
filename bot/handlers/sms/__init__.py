"""Inbound SMS (Twilio webhooks): keywords, conversations and status callbacks."""
