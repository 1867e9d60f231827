"""Outgoing and incoming SMS: gateway port and adapters, outbox, dispatcher, scheduled jobs."""
