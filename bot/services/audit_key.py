"""The secret key of the audit pseudonyms: from the settings, or generated for a local try.

Production (a real channel or PostgreSQL, `Settings.is_production`) must set
`AUDIT_PSEUDONYM_KEY`; without it the product refuses to start (`MissingSetting`), because a
guessable key would let anyone who reads an audit export recover the cédulas behind it. A local
SQLite try gets a random key on its first run, stored beside the database file
(`<database>.audit-key`, mode 0600, git-ignored) and read again on later runs, so pseudonyms stay
stable across restarts. An in-memory database gets a key that lives as long as the process.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import MissingSetting, Settings

log = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".audit-key"
MIN_KEY_LENGTH = 16
_PURPOSE = (
    "clave secreta de los seudónimos del registro de auditoría; genere una con "
    '`python -c "import secrets; print(secrets.token_urlsafe(32))"`'
)


def key_file_for(database_url: str) -> Path | None:
    """Where a local SQLite database keeps its generated key (None: in-memory or not SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database + KEY_FILE_SUFFIX)


def load_audit_key(settings: Settings) -> bytes:
    """The pseudonym key: the configured one, or (local SQLite only) the generated one."""
    if settings.audit_pseudonym_key is not None:
        key = settings.audit_pseudonym_key.get_secret_value().strip()
        if len(key) < MIN_KEY_LENGTH:
            raise MissingSetting(
                "AUDIT_PSEUDONYM_KEY", f"al menos {MIN_KEY_LENGTH} caracteres; {_PURPOSE}"
            )
        return key.encode()
    if settings.is_production:
        raise MissingSetting("AUDIT_PSEUDONYM_KEY", _PURPOSE)
    path = key_file_for(settings.database_url)
    if path is None:
        return secrets.token_urlsafe(32).encode()
    return _read_or_create(path)


def _read_or_create(path: Path) -> bytes:
    """Reads the key file, or creates it atomically (0600) when absent."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name, then linked into place: a concurrent first run (bot and
    # scheduler started together) either wins the link or reads the winner's complete file.
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            log.info("generated the local audit pseudonym key %s", path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise MissingSetting(
            "AUDIT_PSEUDONYM_KEY", f"el archivo {path} está vacío o dañado; {_PURPOSE}"
        )
    return key.encode()
