"""Named domain errors; each carries a Spanish message template safe to show a citizen.

Templates are gettext msgids (marked with `N_`); flows translate them with `ctx.t` and then fill
`params`, so the same error reads well in every catalog.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Marks `message` for extraction without translating it here."""
    return message


class DomainError(Exception):
    """Base of errors with a user-facing Spanish template and its parameters."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params

    @property
    def message(self) -> str:
        """The Spanish message with its parameters filled in."""
        return self.template.format(**self.params)


class InvalidCedula(DomainError):
    """A cédula that fails length, province, person-type or check-digit validation."""

    def __init__(self, template: str, reason: str, **params: Any) -> None:
        super().__init__(template, **params)
        self.reason = reason


class InvalidPhone(DomainError):
    """A phone number that cannot be used (malformed, foreign, or not mobile when SMS is needed)."""

    def __init__(self, template: str, reason: str, **params: Any) -> None:
        super().__init__(template, **params)
        self.reason = reason


class VerificationLocked(DomainError):
    """Too many failed identity checks: the chat or the cédula is locked for a while."""


class UnknownPlace(DomainError):
    """A parish or canton name that matches nothing; carries the nearest names."""

    def __init__(self, template: str, suggestions: tuple[str, ...], **params: Any) -> None:
        super().__init__(template, **params)
        self.suggestions = suggestions


class NotAllowed(DomainError):
    """A staff member acting outside their role or territory (or an auditor trying to change)."""


class NotFound(DomainError):
    """A case, commitment or dialogue that does not exist (or is not visible to the asker)."""


class InvalidTransition(DomainError):
    """A status change the workflow does not allow (e.g. a closed case reopened)."""
