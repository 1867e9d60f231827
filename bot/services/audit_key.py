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

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import MissingSetting, Settings

log = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".audit-key"
MIN_KEY_LENGTH = 16
_PURPOSE = (
    "clave secreta de los seudónimos del registro de auditoría; genere una con "
    '`python -c "import secrets; print(secrets.token_urlsafe(32))"`'
)


def key_file_for(database_url: str, suffix: str = KEY_FILE_SUFFIX) -> Path | None:
    """Where a local SQLite database keeps its generated key (None: in-memory or not SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database + suffix)


def load_audit_key(settings: Settings) -> bytes:
    """The pseudonym key: the configured one, or (local SQLite only) the generated one."""
    return load_secret(
        settings,
        settings.audit_pseudonym_key,
        setting="AUDIT_PSEUDONYM_KEY",
        purpose=_PURPOSE,
        suffix=KEY_FILE_SUFFIX,
    )


def load_secret(
    settings: Settings, configured: SecretStr | None, *, setting: str, purpose: str, suffix: str
) -> bytes:
    """A secret key setting, or on a local SQLite try one generated beside the database file.

    The same rule for every product secret (the audit pseudonyms, the panel's session key):
    production must configure it; a local try gets `<database><suffix>` (0600, git-ignored).
    """
    if configured is not None:
        key = configured.get_secret_value().strip()
        if len(key) < MIN_KEY_LENGTH:
            raise MissingSetting(setting, f"al menos {MIN_KEY_LENGTH} caracteres; {purpose}")
        return key.encode()
    if settings.is_production:
        raise MissingSetting(setting, purpose)
    path = key_file_for(settings.database_url, suffix)
    if path is None:
        return secrets.token_urlsafe(32).encode()
    return _read_or_create(path, setting, purpose)


def _read_or_create(path: Path, setting: str, purpose: str) -> bytes:
    """Reads the key file, or creates it atomically (0600) when absent."""
    try:
        return _read(path, setting, purpose)
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
            log.info("generated the local secret key %s", path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path, setting, purpose)


def _read(path: Path, setting: str, purpose: str) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise MissingSetting(setting, f"el archivo {path} está vacío o dañado; {purpose}")
    return key.encode()
