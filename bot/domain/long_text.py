"""An answer longer than its limit is kept up to the limit, never refused whole.

A citizen who typed (or dictated) 3,000 characters should not have to retype them: the first
`limit` characters are kept, cut at a word when one ends near the limit, and the citizen is told
where the kept part ends.
"""

from __future__ import annotations

from dataclasses import dataclass

# A cut this close to the limit moves back to the last space, so no word is broken.
_WORD_BACKTRACK = 40
_ENDING_WORDS = 6


@dataclass(frozen=True)
class KeptText:
    """The text kept, how long the original was, and whether anything was left out."""

    text: str
    original_length: int

    @property
    def cut(self) -> bool:
        """Whether part of the original was left out."""
        return len(self.text) < self.original_length

    @property
    def ending(self) -> str:
        """The last few words kept, to tell the citizen where the kept part ends."""
        return " ".join(self.text.split()[-_ENDING_WORDS:])


def keep_up_to(text: str, limit: int) -> KeptText:
    """`text` stripped and, when longer than `limit`, cut to it (at a word when possible)."""
    cleaned = text.strip()
    if len(cleaned) <= limit:
        return KeptText(cleaned, len(cleaned))
    kept = cleaned[:limit]
    space = kept.rfind(" ", limit - _WORD_BACKTRACK)
    if space > 0 and not cleaned[limit].isspace():
        kept = kept[:space]
    return KeptText(kept.rstrip(), len(cleaned))
