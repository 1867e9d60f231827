"""Keeps third-party loggers above the levels where they would write personal data.

python-telegram-bot logs every update and every sent message at DEBUG (cédulas, birth dates,
phones typed by citizens); httpx logs request URLs at INFO (the bot token is in them);
SQLAlchemy logs statements at INFO and result rows at DEBUG (a registry row is a cédula and a
birth date). Whatever LOG_LEVEL says, these loggers stay at their floor: a level, and a filter
on every logger of the family, so a level set later on one of them does not lift the cap.
"""

from __future__ import annotations

import logging

LIBRARY_LOG_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "sqlalchemy": logging.WARNING,
}


class _Floor(logging.Filter):
    """Drops records below a level, whatever level their logger was given."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        """True for records at or above the floor."""
        return record.levelno >= self.level


def cap_library_logs() -> None:
    """Caps the loggers of `LIBRARY_LOG_FLOORS` (and their existing children) at their floor."""
    root = logging.getLogger().getEffectiveLevel()
    names = list(logging.root.manager.loggerDict)
    for family, floor in LIBRARY_LOG_FLOORS.items():
        logging.getLogger(family).setLevel(max(floor, root))
        for name in [family, *(n for n in names if n.startswith(family + "."))]:
            logger = logging.getLogger(name)
            if not any(isinstance(f, _Floor) for f in logger.filters):
                logger.addFilter(_Floor(floor))
