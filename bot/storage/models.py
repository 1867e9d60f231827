"""Every table the product keeps, as SQLAlchemy 2 typed models.

Times are aware UTC (`UtcDateTime`); dates are local calendar dates. Personal data (cédula, phone,
names, payment status) lives only in `beneficiaries`, `contacts` and `cases`, and is never logged.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids that are plain INTEGER on SQLite, so they auto-increment there too.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- territory -------------------------------------------------------------------------------


class Province(Base):
    """One of Ecuador's 24 provinces (INEC code), plus 90 'zonas no delimitadas'."""

    __tablename__ = "provinces"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(40))


class Zone(Base):
    """A ministry planning zone (Zona 1–9, Guayaquil, Quito)."""

    __tablename__ = "zones"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # Province (2-digit) and canton (4-digit) codes the zonal coordination serves, space-separated;
    # a canton code wins over its province (Quito, Guayaquil).
    serves: Mapped[str | None] = mapped_column(String(200))


class District(Base):
    """A ministry district directorate (e.g. 11D06 CALVAS) with its Balcón de Servicios."""

    __tablename__ = "districts"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"))
    address: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    af_households: Mapped[int | None] = mapped_column(Integer)
    services: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    checked_on: Mapped[date | None] = mapped_column(Date)
    # True once staff imported the office directory row: shipped data no longer overwrites it.
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)


class Canton(Base):
    """A canton (INEC 4-digit code) and the district directorate that serves it, where known."""

    __tablename__ = "cantons"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    district_source: Mapped[str | None] = mapped_column(String(120))
    # V confirmed · P one press source · D derived · U uncertain (shared/domain.md).
    district_confidence: Mapped[str | None] = mapped_column(String(1))


class Parish(Base):
    """A parish (INEC 6-digit code; 50 and above are rural)."""

    __tablename__ = "parishes"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    canton_code: Mapped[str] = mapped_column(ForeignKey("cantons.code"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), index=True)


class ParishDistrict(Base):
    """The district office serving one parish, where a canton has several offices (Quito)."""

    __tablename__ = "parish_districts"
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    confidence: Mapped[str] = mapped_column(String(1))
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)


# --- beneficiary registry ----------------------------------------------------------------------


class Beneficiary(Base):
    """One person's transfer in the monthly registry: one row per (cédula, programme)."""

    __tablename__ = "beneficiaries"
    # Its unique index leads with the cédula: it serves every lookup by cédula (no other index).
    __table_args__ = (UniqueConstraint("cedula", "programme"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cedula: Mapped[str] = mapped_column(String(10))
    names: Mapped[str] = mapped_column(String(160))
    birth_date: Mapped[date | None] = mapped_column(Date)
    fingerprint_code: Mapped[str | None] = mapped_column(String(12))
    mobile: Mapped[str | None] = mapped_column(String(16), index=True)
    # No foreign key: the import refuses an unknown parish row by row (migration 0012).
    parish_code: Mapped[str | None] = mapped_column(String(6), index=True)
    programme: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    last_payment_date: Mapped[date | None] = mapped_column(Date)
    next_payment_date: Mapped[date | None] = mapped_column(Date)
    collection_point: Mapped[str | None] = mapped_column(String(160))
    # Canonical `AAAA-MM-DD;…` and `code[:AAAA-MM-DD];…` (bot/domain/corresponsabilidad.py).
    children_birth_dates: Mapped[str | None] = mapped_column(String(200))
    pending_conditions: Mapped[str | None] = mapped_column(String(300))
    row_hash: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]


class ImportRun(Base):
    """One registry/events/commitments import: its file, counts and outcome."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    last_line_committed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


# --- citizens and conversations -----------------------------------------------------------


class Contact(Base):
    """A citizen reachable on one channel address (Telegram chat id, phone, console)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(10), default="es_EC")
    parish_code: Mapped[str | None] = mapped_column(ForeignKey("parishes.code"))
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # The last message this address sent us (SMS, WhatsApp): WhatsApp allows free-form replies
    # only within 24 hours of it; outside that window a notice needs an approved template.
    last_inbound_at: Mapped[datetime | None]
    # Set when Telegram refused a notice to this chat (bot blocked, chat gone); cleared when the
    # person writes again. Notices then fall back to SMS where the person consented to it.
    unreachable_at: Mapped[datetime | None]


class Conversation(Base):
    """The state of one conversation per (channel, address): flow, step and collected data."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    # The channel's sequence (Telegram update_id) of the last inbound message handled: a message
    # older than it came late, after a later one, and is logged as out of order.
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class VerificationLock(Base):
    """Failed identity checks per key (hashed chat or cédula) and the lock they earned.

    `lock_count` counts consecutive locks (each lasts twice the previous one, up to a cap) until
    a successful check. A cédula's row also holds the one-time code sent by SMS to the
    registry's phone (only its keyed hash), how many tries it has had, and how many codes were
    sent in the current day (`codes_window_started_at`).
    """

    __tablename__ = "verification_locks"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    lock_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    codes_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    codes_window_started_at: Mapped[datetime | None]


class Subscription(Base):
    """A contact's wish to hear about a parish's events or commitments on a channel."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "parish_code", "channel", "topic"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime]
    created_at: Mapped[datetime]


class OptOut(Base):
    """A phone that asked for no more SMS (BAJA/STOP); kept forever, honoured by every sender."""

    __tablename__ = "opt_outs"
    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    opted_out_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(24))


# --- events, dialogues, commitments, cases ----------------------------------------------------


class Event(Base):
    """A parish event: brigada social, diálogo ciudadano, sensibilización, feria."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(160))
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    reminder_offsets_minutes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # How many people took part, as staff counted them (the seed report's «200 ciudadanos»).
    participants: Mapped[int | None] = mapped_column(Integer)


class EventAttendance(Base):
    """People attended at an event by one institution's service (seed 000's «atenciones»)."""

    __tablename__ = "event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "institution", "service"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    institution: Mapped[str] = mapped_column(String(80))
    service: Mapped[str] = mapped_column(String(120))
    people: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime]


class DialogueSession(Base):
    """A Diálogo Ciudadano opened by staff in a parish, or standing open all year."""

    __tablename__ = "dialogue_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    held_on: Mapped[date | None] = mapped_column(Date)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DialogueAnswer(Base):
    """A citizen's answer to one of the four generating questions of a dialogue."""

    __tablename__ = "dialogue_answers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_sessions.id"), index=True)
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    question: Mapped[int] = mapped_column(Integer)
    answer_text: Mapped[str] = mapped_column(Text)
    choice: Mapped[str | None] = mapped_column(String(40))
    observations: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Commitment(Base):
    """A row of a dialogue's commitments matrix."""

    __tablename__ = "commitments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_sessions.id"), index=True)
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    proposal: Mapped[str] = mapped_column(Text)
    citizen_commitment: Mapped[str] = mapped_column(Text)
    institution_commitment: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    responsible_unit: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="pendiente")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CommitmentUpdate(Base):
    """A dated status change of a commitment, with its note."""

    __tablename__ = "commitment_updates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class Case(Base):
    """A follow-up case for a district: a left-out person or a registry verification."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    parish_code: Mapped[str | None] = mapped_column(ForeignKey("parishes.code"))
    status: Mapped[str] = mapped_column(String(20), default="nuevo")
    person_category: Mapped[str | None] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_info: Mapped[str | None] = mapped_column(Text)
    cedula: Mapped[str | None] = mapped_column(String(10))
    reporter_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    reporter_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseUpdate(Base):
    """A dated status change of a case, with the staff note."""

    __tablename__ = "case_updates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class Handoff(Base):
    """A conversation handed to a person: who asked, why, which inbox, who took it and when.

    `district_code` None is the national inbox (a parish with no known district). While a
    handoff is `waiting` or `taken`, the citizen's messages go to it and the bot stays quiet.
    """

    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    parish_code: Mapped[str | None] = mapped_column(ForeignKey("parishes.code"))
    reason: Mapped[str] = mapped_column(String(20))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), index=True)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    requested_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    first_answer_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]


class HandoffMessage(Base):
    """One message of a handed-over conversation: the citizen's, a staff member's or the bot's."""

    __tablename__ = "handoff_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


# --- staff ------------------------------------------------------------------------------------


class Staff(Base):
    """A staff account with a role scoped to a zone or district."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    link_code_hash: Mapped[str | None] = mapped_column(String(64))
    link_code_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


# --- acompañamiento familiar -------------------------------------------------------------------


class TechnicianAssignment(Base):
    """A parish, or one family of it (by the registry's cédula), assigned to a technician.

    A row without `cedula` assigns the whole parish; rows with one assign single families.
    """

    __tablename__ = "technician_assignments"
    __table_args__ = (UniqueConstraint("staff_id", "parish_code", "cedula"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    cedula: Mapped[str | None] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime]


class HomeVisit(Base):
    """A planned home visit of a technician to a family: only the visit's time window."""

    __tablename__ = "home_visits"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cedula: Mapped[str] = mapped_column(String(10), index=True)
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    window_start: Mapped[datetime] = mapped_column(index=True)
    window_end: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ReminderConsent(Base):
    """A household's consent to reminders of one topic on one channel address.

    Topics: `corresponsabilidad` (pending conditions) and `visita` (a planned home visit).
    Given by the citizen after verifying their identity (`contact_id` set), or recorded in
    person by a technician (`staff_id` set). Withdrawn consent keeps its row with `withdrawn_at`.
    """

    __tablename__ = "reminder_consents"
    __table_args__ = (UniqueConstraint("cedula", "topic", "channel", "address"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cedula: Mapped[str] = mapped_column(String(10), index=True)
    topic: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    consent_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class InPersonNotice(Base):
    """A technician informed a household in person (the seed's channel where there is no signal).

    `topic` is `evento`, `compromiso`, `condicion`, `visita` or `general`; `ref` names what was
    told (`event:12`, `commitment:3`, `condition:matricula`).
    """

    __tablename__ = "in_person_notices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cedula: Mapped[str] = mapped_column(String(10), index=True)
    parish_code: Mapped[str] = mapped_column(ForeignKey("parishes.code"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    topic: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(40))
    informed_at: Mapped[datetime] = mapped_column(index=True)


class StaffCredential(Base):
    """How a staff account signs in to the web panel: password, TOTP, one-time code, lockout.

    Kept apart from `Staff` so the Telegram side never loads a password hash. The password is an
    argon2id hash (argon2-cffi); the TOTP secret is base32; the one-time sign-in code sent to the
    linked Telegram chat is stored as its SHA-256 only.
    """

    __tablename__ = "staff_credentials"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PanelSession(Base):
    """A signed-in panel session: the cookie carries a random token, only its hash is stored.

    Server-side, so signing out or revoking the account ends it at once, and `expires_at` moves
    forward with each request (idle expiry) but never past `absolute_expires_at`.
    """

    __tablename__ = "panel_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    absolute_expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


# --- notifications ----------------------------------------------------------------------------


# A broadcast's `status`, the one vocabulary of that column (`bot.services.broadcasts`).
BROADCAST_DRAFT = "borrador"  # previewed, waiting for the staff member's confirmation
BROADCAST_CONFIRMED = "confirmada"  # confirmed: its messages are in the outbox
BROADCAST_CANCELLED = "cancelada"  # cancelled at preview: nothing was queued


class Broadcast(Base):
    """A staff broadcast: audience, text, preview figures and confirmation.

    `audience` is `notificaciones.audiences.Audience.to_json()` plus the `digest` of the exact
    recipient list the preview counted. `recipients`, `segments` and `estimated_cost_usd` are the
    preview's figures: `segments` is the **total** of SMS segments the broadcast costs (segments
    per SMS × SMS recipients; Telegram messages count none), the figure the cost comes from —
    each outbox row keeps its own per-message `segments`. `status` is one of `BROADCAST_DRAFT`,
    `BROADCAST_CONFIRMED`, `BROADCAST_CANCELLED`.
    """

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    estimated_cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(16), default=BROADCAST_DRAFT)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send (SMS or Telegram), first stored, then claimed and sent by a dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Per-phone reply limits and the daily spend of conversation replies.
        Index("ix_outbox_address_created", "address", "created_at"),
        Index("ix_outbox_kind_created", "kind", "created_at"),
        # A chat's pending and sending replies, oldest first (the reply lane's claims).
        Index("ix_outbox_chat_replies", "channel", "address", "kind", "status", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    segments: Mapped[int] = mapped_column(Integer, default=1)
    # What the message costs (USD) as priced when it was written: conversation replies carry it,
    # so delivery reports and the daily spend cap count them.
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(24))
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Provider lookups of an unconfirmed send so far (the dispatcher flags it after a few).
    reconcile_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A conversation reply's buttons and turn ({"turn": n, "options": [[key, label], …]}), so a
    # reply sent again after a crash keeps its inline keyboard; NULL for every other message.
    buttons: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class InboundTurn(Base):
    """One inbound conversation message by the channel's own id: its turn runs exactly once.

    `message_key` is the channel's id of the message (Telegram update_id, console sequence),
    unique with its chat (Telegram may start update_ids afresh after a long silence), and
    `sequence` its order within the channel. A row is `waiting` while recorded but not yet
    handled (its text kept in `payload` so any replica can run it, in sequence order) and `done`
    once its turn committed with its replies in the outbox; `payload` is then emptied, so only
    the ids and times stay (no text).
    """

    __tablename__ = "inbound_turns"
    __table_args__ = (
        UniqueConstraint("channel", "address", "message_key"),
        Index("ix_inbound_turns_chat", "channel", "address", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    turn: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class InboundSms(Base):
    """An inbound SMS already acted on, by the provider's MessageSid: a replay is answered once.

    Only the SID and the time are kept (no phone, no text). Kept without expiry: a signed Twilio
    request carries no timestamp, so it can be replayed at any later time.
    """

    __tablename__ = "inbound_sms"
    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]
    # What was done with it (a word, never the text): "turn", "opt_out", "limited",
    # "refused_foreign"… so a message refused or limited is accounted for, not lost.
    outcome: Mapped[str | None] = mapped_column(String(24))


# --- audit ------------------------------------------------------------------------------------


class AuditEntry(Base):
    """One audited action: who (pseudonymised), what, on which target; never a full cédula."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_ref: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- operations (several replicas on one database) --------------------------------------------


class DispatcherLease(Base):
    """A running dispatcher's heartbeat: while `expires_at` is ahead, its claimed rows are its own.

    `holder` is the dispatcher's worker name (host, pid and a random part, so a restarted process
    is a new holder) and is what `outbox.claimed_by` records; once `expires_at` has passed, the
    dispatcher is known dead and its SENDING rows are reconciled at once.
    """

    __tablename__ = "dispatcher_leases"
    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SendBudget(Base):
    """A token bucket shared by every process: the SMS rate, Telegram's global and per-chat limits.

    Times are the database's clock in epoch seconds (`refilled_at`), so replicas whose clocks
    differ still share one budget; see notificaciones/budgets.py.
    """

    __tablename__ = "send_budgets"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    capacity: Mapped[float] = mapped_column(Float)
    rate: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[float] = mapped_column(Float)
