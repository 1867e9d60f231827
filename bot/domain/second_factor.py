"""The second identity factor a citizen types after the cédula: birth date or código dactilar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.dates import looks_like_date, parse_birth_date
from bot.domain.errors import N_, DomainError

# Printed on the back of the cédula, e.g. V3331V2222 (format uncertain, so kept permissive).
_FINGERPRINT = re.compile(r"^[A-Z]\d{4}[A-Z]\d{4}$")


@dataclass(frozen=True)
class SecondFactor:
    """Either a birth date or a código dactilar (upper-case, no spaces)."""

    birth_date: date | None = None
    fingerprint_code: str | None = None

    @property
    def kind(self) -> str:
        """'birth_date' or 'fingerprint' (for the audit log; never the value)."""
        return "birth_date" if self.birth_date is not None else "fingerprint"


def normalise_fingerprint(raw: str) -> str:
    """Upper-cases and removes spaces and dashes from a código dactilar."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def parse_second_factor(text: str, today: date) -> SecondFactor:
    """Reads a birth date (dd/mm/aaaa) or a código dactilar; raises `DomainError` when neither."""
    if looks_like_date(text):
        return SecondFactor(birth_date=parse_birth_date(text, today))
    code = normalise_fingerprint(text)
    if _FINGERPRINT.match(code):
        return SecondFactor(fingerprint_code=code)
    raise DomainError(
        N_(
            "Escriba su fecha de nacimiento como día/mes/año (por ejemplo 14/03/1988) o el "
            "código dactilar del reverso de su cédula (por ejemplo V3331V2222)."
        )
    )
