"""One settings object for the whole product, read from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./mies_conecta.db"


class MissingSetting(Exception):
    """A real channel was asked for but a setting it needs is empty."""

    def __init__(self, setting: str, purpose: str) -> None:
        super().__init__(
            f"Falta la configuración {setting} ({purpose}). Defínala en .env o en el entorno."
        )
        self.setting = setting


class Settings(BaseSettings):
    """Every knob of the product; secrets have no defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_prefix=""
    )

    ministry_name: str = "MIES"
    call_centre: str = "1800-002-002"
    database_url: str = DEFAULT_DATABASE_URL

    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None
    max_concurrent_updates: int = Field(default=32, ge=1, le=1000)
    # Webhook replicas: how long a message waits, recorded, before its turn runs, so an earlier
    # message of the same chat that reached another replica a moment before runs first.
    turn_order_wait_ms: int = Field(default=40, ge=0, le=2000)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    sms_cost_per_segment_usd: float = 0.05
    sms_rate_per_second: float = 10.0
    sms_max_attempts: int = 12
    sms_transliterate: bool = True

    public_base_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080

    default_timezone: str = "America/Guayaquil"
    default_locale: str = "es_EC"
    quiet_hours_start: time = time(20, 0)
    quiet_hours_end: time = time(7, 0)
    conversation_timeout_minutes: int = Field(default=30, ge=1)
    verification_max_failures: int = Field(default=3, ge=1)
    verification_lock_minutes: int = Field(default=30, ge=1)
    verification_lock_max_minutes: int = Field(default=1440, ge=1)

    # Secret key of the audit log's pseudonyms (masked cédulas, chat ids). Required in production;
    # a local SQLite try generates one beside the database file (see bot/services/audit_key.py).
    audit_pseudonym_key: SecretStr | None = None

    log_level: str = "INFO"

    @field_validator(
        "telegram_token",
        "twilio_auth_token",
        "telegram_webhook_secret",
        "audit_pseudonym_key",
        mode="before",
    )
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "twilio_account_sid",
        "twilio_messaging_service_sid",
        "twilio_from_number",
        "public_base_url",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @cached_property
    def timezone(self) -> ZoneInfo:
        """The default timezone as a `ZoneInfo`."""
        return ZoneInfo(self.default_timezone)

    @property
    def uses_telegram(self) -> bool:
        """True when a Telegram token is configured."""
        return self.telegram_token is not None

    @property
    def uses_twilio(self) -> bool:
        """True when Twilio credentials are configured (SMS are sent for real)."""
        return self.twilio_account_sid is not None

    @property
    def is_production(self) -> bool:
        """True with a real channel (Telegram, Twilio) or a database other than SQLite."""
        real_channel = (
            self.telegram_token is not None
            or self.twilio_account_sid is not None
            or self.twilio_auth_token is not None
        )
        return real_channel or not self.database_url.split(":", 1)[0].startswith("sqlite")

    def require_telegram_token(self) -> str:
        """Returns the Telegram token or raises `MissingSetting` naming it."""
        if self.telegram_token is None:
            raise MissingSetting("TELEGRAM_TOKEN", "token del bot de Telegram, de @BotFather")
        return self.telegram_token.get_secret_value()

    def require_twilio(self) -> tuple[str, str]:
        """Returns (account SID, auth token) or raises `MissingSetting` naming what is missing."""
        if not self.twilio_account_sid:
            raise MissingSetting("TWILIO_ACCOUNT_SID", "cuenta de Twilio para enviar SMS")
        if self.twilio_auth_token is None:
            raise MissingSetting("TWILIO_AUTH_TOKEN", "clave de la cuenta de Twilio")
        if not (self.twilio_messaging_service_sid or self.twilio_from_number):
            raise MissingSetting(
                "TWILIO_MESSAGING_SERVICE_SID", "o TWILIO_FROM_NUMBER: remitente de los SMS"
            )
        return self.twilio_account_sid, self.twilio_auth_token.get_secret_value()
