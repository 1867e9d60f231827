"""The SMS gateway port, its outcomes and the console adapter (prints and records).

Adapters never raise for a provider's answer: they return a `SendOutcome` that says whether the
message was accepted, must be retried later (the provider provably never got it), failed for good,
hit an opted-out number, or has an unknown outcome (the request may have reached the provider: it
must be reconciled, never sent again blindly). The
dispatcher decides what to store; the adapter only translates the vendor's vocabulary.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class SendResult(StrEnum):
    """What happened to one send attempt."""

    ACCEPTED = "accepted"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    OPTED_OUT = "opted_out"
    UNREACHABLE = "unreachable"  # the chat refuses the bot (blocked, gone): try another channel
    UNKNOWN = "unknown"  # the provider may hold it (e.g. dropped after the request was written)


@dataclass(frozen=True)
class SendOutcome:
    """The outcome of one provider call: result, provider id/status, error code and reason."""

    result: SendResult
    provider_sid: str | None = None
    provider_status: str | None = None
    error_code: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class ProviderMessage:
    """A message as the provider knows it (for reconciliation and status fetches)."""

    sid: str
    status: str
    error_code: int | None = None


class LookupResult(StrEnum):
    """The answer of a reconciliation lookup."""

    FOUND = "found"
    NOT_FOUND = "not_found"  # the provider never received it: safe to send
    UNAVAILABLE = "unavailable"  # the provider cannot be asked right now: ask again later
    UNKNOWN = "unknown"  # nobody can tell: a person must reconcile it


@dataclass(frozen=True)
class Lookup:
    """Whether the provider holds a message we may or may not have sent."""

    result: LookupResult
    message: ProviderMessage | None = None


class SmsGateway(Protocol):
    """Sends SMS and answers questions about messages already handed to the provider."""

    async def send(self, to: str, body: str, *, reference: str) -> SendOutcome:
        """Sends one SMS; `reference` (the outbox id) lets status callbacks find the row."""
        ...

    async def fetch(self, sid: str) -> ProviderMessage | None:
        """Returns the provider's current view of a message, or None if it cannot tell."""
        ...

    async def find_sent(self, to: str, body: str, since: datetime) -> Lookup:
        """Looks for a message with this body sent to `to` since `since` (crash recovery)."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


@dataclass(frozen=True)
class ConsoleSms:
    """One SMS the console gateway 'sent'."""

    sid: str
    to: str
    body: str
    reference: str


@dataclass
class ConsoleSmsGateway:
    """Prints outgoing SMS (masked number) and keeps them, for the console chat and tests."""

    write: Callable[[str], None] = print
    sent: list[ConsoleSms] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, to: str, body: str, *, reference: str) -> SendOutcome:
        """Records and prints the SMS; always accepted."""
        sid = f"CONSOLE{next(self._ids):08d}"
        self.sent.append(ConsoleSms(sid=sid, to=to, body=body, reference=reference))
        self.write(f"[SMS a {to[:5]}****{to[-3:]}] {body}")
        return SendOutcome(SendResult.ACCEPTED, provider_sid=sid, provider_status="sent")

    async def fetch(self, sid: str) -> ProviderMessage | None:
        """Returns a recorded message's status ('sent'), or None."""
        found = any(message.sid == sid for message in self.sent)
        return ProviderMessage(sid=sid, status="sent") if found else None

    async def find_sent(self, to: str, body: str, since: datetime) -> Lookup:
        """Searches this process's records; a console gateway cannot see a previous process's."""
        for message in self.sent:
            if message.to == to and message.body == body:
                return Lookup(LookupResult.FOUND, ProviderMessage(message.sid, "sent"))
        return Lookup(LookupResult.UNKNOWN)

    async def close(self) -> None:
        """Nothing to release."""
