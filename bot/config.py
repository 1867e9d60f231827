"""One settings object for the whole product, read from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # Conversations by SMS and WhatsApp (bot/handlers/sms/conversation.py): per-phone limits on
    # the bot's replies and a global daily spend cap for them (notices are not counted).
    replies_per_phone_per_minute: int = Field(default=6, ge=1)
    replies_per_phone_per_day: int = Field(default=60, ge=1)
    replies_daily_spend_usd: float = Field(default=50.0, ge=0)
    # WhatsApp through Twilio: off unless a WhatsApp sender is set ("+1415…" or "whatsapp:+1415…").
    twilio_whatsapp_from: str | None = None
    whatsapp_cost_per_message_usd: float = 0.01
    # Approved templates (Twilio Content SIDs, "HX…") per notice kind, as JSON:
    # {"event_announcement": "HX…", "commitment_reminder": "HX…"}. Outside the 24-hour window a
    # notice goes out only through its kind's template, with the notice text as variable {{1}}.
    whatsapp_templates: dict[str, str] = Field(default_factory=dict)

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

    # When a person answers the staff inbox (local time of DEFAULT_TIMEZONE), e.g. "lun-vie
    # 08:00-16:30"; outside them a citizen who asks for a person is told when to expect an answer.
    handoff_hours: str = "lun-vie 08:00-16:30"
    # Staff web panel (/panel). The session key signs the session cookie and derives the CSRF
    # tokens; required in production, generated beside the SQLite file on a local try.
    panel_session_key: SecretStr | None = None
    panel_session_minutes: int = Field(default=60, ge=1, le=1440)  # idle expiry
    panel_session_max_hours: int = Field(default=12, ge=1, le=168)  # absolute expiry
    panel_max_failures: int = Field(default=5, ge=1)
    panel_lock_minutes: int = Field(default=15, ge=1)
    panel_code_minutes: int = Field(default=10, ge=1, le=60)
    panel_upload_dir: str = "./panel_uploads"
    # Secure flag of the panel's cookies: empty = automatic (on, except a local plain-HTTP try).
    panel_cookie_secure: bool | None = None

    log_level: str = "INFO"
    # "text" (one readable line per record) or "json" (one JSON object per line, for a log
    # collector); either way third-party loggers stay capped (bot/log_privacy.py).
    log_format: Literal["text", "json"] = "text"

    # Dispatcher leases (notificaciones/leases.py): every dispatcher renews a heartbeat row every
    # DISPATCHER_HEARTBEAT_SECONDS; DISPATCHER_LEASE_SECONDS after its last one it is known dead
    # and the sends it left unfinished are reconciled with the provider at once.
    dispatcher_heartbeat_seconds: float = Field(default=10.0, gt=0, le=300)
    dispatcher_lease_seconds: float = Field(default=45.0, gt=0, le=3600)
    # A send whose outcome is unknown is looked up at Twilio; "not listed" proves "never
    # received" only this long after the attempt (well past the 15 s request timeout), and only
    # then is it sent again.
    sms_safe_window_seconds: float = Field(default=120.0, ge=30, le=3600)

    # Sending budgets shared by every replica on PostgreSQL (notificaciones/budgets.py; SQLite
    # paces in the process). SMS use SMS_RATE_PER_SECOND; Telegram allows about 30 messages/s
    # per bot and 1 per second per chat.
    telegram_rate_per_second: float = Field(default=30.0, gt=0)
    telegram_chat_rate_per_second: float = Field(default=1.0, gt=0)
    # Opt-in: Telegram notices of a staff broadcast go out with `allow_paid_broadcast` (up to
    # TELEGRAM_PAID_RATE_PER_SECOND, charged in Telegram Stars to the bot's balance).
    telegram_allow_paid_broadcast: bool = False
    telegram_paid_rate_per_second: float = Field(default=1000.0, gt=0, le=1000)

    # Prometheus metrics at GET /metrics of the web app (bot/handlers/web.py).
    metrics_enabled: bool = True

    # Retention (bot/runtime/retention.py, run by the scheduler): rows older than these are
    # deleted so tables stay bounded; 0 keeps them forever. Settled outbox rows (sent, failed,
    # opted out, withdrawn; never queued or in flight), keep them longer than the announcement
    # horizon so a reminder is not queued twice; inbound SMS ids (a replay older than this is
    # acted on again); audit entries (kept at least a year: the privacy notice promises them
    # "por seguridad").
    outbox_retention_days: int = Field(default=400, ge=0)
    inbound_retention_days: int = Field(default=400, ge=0)
    audit_retention_days: int = Field(default=1825, ge=0)
    retention_batch_rows: int = Field(default=5000, ge=100)

    @field_validator(
        "telegram_token",
        "twilio_auth_token",
        "telegram_webhook_secret",
        "audit_pseudonym_key",
        "panel_session_key",
        mode="before",
    )
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "twilio_account_sid",
        "twilio_messaging_service_sid",
        "twilio_from_number",
        "twilio_whatsapp_from",
        "public_base_url",
        "panel_cookie_secure",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _lease_outlives_heartbeats(self) -> Self:
        if self.dispatcher_lease_seconds < 2 * self.dispatcher_heartbeat_seconds:
            raise ValueError(
                "DISPATCHER_LEASE_SECONDS debe ser al menos el doble de "
                "DISPATCHER_HEARTBEAT_SECONDS (un latido perdido no mata al despachador)."
            )
        if 0 < self.audit_retention_days < 365:
            raise ValueError(
                "AUDIT_RETENTION_DAYS: 0 (sin límite) o al menos 365 días; el aviso de privacidad "
                "promete el registro de auditoría por seguridad."
            )
        return self

    @cached_property
    def timezone(self) -> ZoneInfo:
        """The default timezone as a `ZoneInfo`."""
        return ZoneInfo(self.default_timezone)

    @property
    def panel_secure_cookies(self) -> bool:
        """Session cookies carry `Secure` everywhere but a local plain-HTTP try (or if told)."""
        if self.panel_cookie_secure is not None:
            return self.panel_cookie_secure
        return self.is_production or (self.public_base_url or "").startswith("https://")

    @property
    def uses_telegram(self) -> bool:
        """True when a Telegram token is configured."""
        return self.telegram_token is not None

    @property
    def uses_twilio(self) -> bool:
        """True when Twilio credentials are configured (SMS are sent for real)."""
        return self.twilio_account_sid is not None

    @property
    def uses_whatsapp(self) -> bool:
        """True when a WhatsApp sender is configured (inbound WhatsApp is refused otherwise)."""
        return self.twilio_whatsapp_from is not None

    @property
    def whatsapp_sender(self) -> str | None:
        """The WhatsApp sender as Twilio wants it ("whatsapp:+…"), or None when off."""
        if self.twilio_whatsapp_from is None:
            return None
        number = self.twilio_whatsapp_from.removeprefix("whatsapp:")
        return f"whatsapp:{number}"

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
