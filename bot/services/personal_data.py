"""The inventory of a citizen's personal data: where it is stored, why, and what erasure does.

One declared list that the privacy notice (/privacidad), /mis_datos and /borrar_mis_datos are
held to. `PERSONAL_COLUMNS` names every column that holds, or points to, a chat id, a phone or a
cédula, or that is kept about the person behind them; `KINDS` gives each kind of data the
notice's sentences. tests/integration/test_personal_data_inventory.py derives the columns from
the SQLAlchemy tables and fails when one is missing here, when /mis_datos does not show a kind,
when the notice does not mention it, or when erasure leaves an erased column filled.

What stays after erasure, and why:
- the contact row (chat id or phone of the conversation, language, dates): without it the bot
  cannot answer the next message; it is created again by that message anyway;
- a case, for the district's follow-up of a person who may be left out (a public duty): its
  description, parish and category stay; the cédula, the whereabouts text and the link to the
  chat are emptied, and its status notices in the outbox lose their text and their case key;
- the outbox rows sent or withdrawn (address, key and dates, without text): the constancy that
  a message was sent, which also stops the same reminder from being queued again;
- the opt-out list (BAJA): erasing it would make the phone receive SMS again;
- verification locks and the audit log, under keyed pseudonyms: security and accountability.
Dialogue answers are deleted, not kept "anonymously": they are the citizen's own words, which may
name them, and the dialogue's lasting output is the commitments matrix, which holds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import N_


class Fate(StrEnum):
    """What /borrar_mis_datos does to a column of the citizen's rows."""

    ERASED = "erased"  # the value is deleted (or its row is)
    UNLINKED = "unlinked"  # the row stays for staff; this column is emptied, so it no longer
    # points to the citizen
    KEPT = "kept"  # stays, for the reason the notice gives after «Después de borrar»
    NOT_CITIZEN = "not_citizen"  # not the bot's data about a citizen (registry, staff, offices)


@dataclass(frozen=True)
class Kind:
    """A kind of personal data as the citizen reads about it in the notice."""

    key: str
    stored: str  # msgid: the notice's line saying it is kept and why
    after_erase: str | None = None  # msgid: the line saying it stays after erasure, and why
    transient: bool = False  # kept only until the conversation ends or expires


KINDS: tuple[Kind, ...] = (
    Kind(
        "chat",
        N_(
            "este chat (su número de chat o de celular), su idioma y las fechas de su primer y "
            "último mensaje, para responderle;"
        ),
        N_("este chat y su idioma, para responderle si nos vuelve a escribir;"),
    ),
    Kind(
        "conversation",
        N_("lo que escribe durante una consulta, solo hasta que termine o caduque;"),
        transient=True,
    ),
    Kind(
        "parish",
        N_("la parroquia que nos indique, para ofrecérsela la próxima vez;"),
    ),
    Kind(
        "reminders",
        N_(
            "si pide recordatorios: su celular, sus suscripciones y la fecha de su "
            "consentimiento, y su cédula si pide los recordatorios de lo que le falta cumplir;"
        ),
    ),
    Kind(
        "dialogue",
        N_("sus respuestas a un Diálogo Ciudadano, para la matriz de ese diálogo;"),
    ),
    Kind(
        "cases",
        N_(
            "los casos que usted pide abrir: lo que escribió, la cédula de una consulta de pago "
            "sin registro y este chat, para avisarle cómo avanzan;"
        ),
        N_(
            "sus casos, para que la dirección distrital atienda a la persona: la descripción, la "
            "parroquia y la categoría, sin cédula, sin datos de contacto y sin vínculo con este "
            "chat;"
        ),
    ),
    Kind(
        "person",
        N_(
            "si pide hablar con una persona: lo que escribe en esa conversación y las respuestas "
            "del equipo, para atenderle;"
        ),
    ),
    Kind(
        "messages",
        N_("los mensajes que le enviamos o tenemos en cola para usted;"),
        N_(
            "la constancia de los mensajes ya enviados o retirados (a qué número y cuándo, sin "
            "su texto), para no enviarle nada dos veces;"
        ),
    ),
    Kind(
        "opt_out",
        N_("si responde BAJA a un SMS, su celular en la lista de no envío;"),
        N_("su celular en la lista de no envío, si respondió BAJA, para no volver a escribirle;"),
    ),
    Kind(
        "security",
        N_(
            "con seudónimo, los intentos fallidos de verificación de identidad y el registro de "
            "auditoría de sus consultas, por seguridad;"
        ),
        N_("con seudónimo, los intentos fallidos de verificación y el registro de auditoría."),
    ),
)
KIND_KEYS = frozenset(kind.key for kind in KINDS)


@dataclass(frozen=True)
class PersonalColumn:
    """One column of the inventory: its kind (None for non-citizen data) and its fate."""

    kind: str | None
    fate: Fate


_E, _U, _K, _N = Fate.ERASED, Fate.UNLINKED, Fate.KEPT, Fate.NOT_CITIZEN

PERSONAL_COLUMNS: dict[str, PersonalColumn] = {
    # the contact: who writes, on which chat, in which language
    "contacts.channel": PersonalColumn("chat", _K),
    "contacts.address": PersonalColumn("chat", _K),
    "contacts.locale": PersonalColumn("chat", _K),
    "contacts.created_at": PersonalColumn("chat", _K),
    "contacts.last_seen_at": PersonalColumn("chat", _K),
    "contacts.parish_code": PersonalColumn("parish", _E),
    "contacts.phone": PersonalColumn("reminders", _E),
    "contacts.consent_at": PersonalColumn("reminders", _E),
    "contacts.consent_version": PersonalColumn("reminders", _E),
    "conversations.address": PersonalColumn("chat", _K),
    "conversations.data": PersonalColumn("conversation", _K),
    # the ids of the chat's inbound messages (the text only while a message waits to run)
    "inbound_turns.address": PersonalColumn("chat", _K),
    # reminders
    "subscriptions.contact_id": PersonalColumn("reminders", _E),
    "subscriptions.address": PersonalColumn("reminders", _E),
    "subscriptions.parish_code": PersonalColumn("reminders", _E),
    "subscriptions.consent_at": PersonalColumn("reminders", _E),
    "opt_outs.phone": PersonalColumn("opt_out", _K),
    "reminder_consents.cedula": PersonalColumn("reminders", _E),
    "reminder_consents.address": PersonalColumn("reminders", _E),
    "reminder_consents.contact_id": PersonalColumn("reminders", _E),
    # what the citizen contributed
    "dialogue_answers.contact_id": PersonalColumn("dialogue", _E),
    "dialogue_answers.answer_text": PersonalColumn("dialogue", _E),
    "dialogue_answers.choice": PersonalColumn("dialogue", _E),
    "dialogue_answers.observations": PersonalColumn("dialogue", _E),
    "cases.reporter_contact_id": PersonalColumn("cases", _U),
    "cases.reporter_consent": PersonalColumn("cases", _U),
    "cases.cedula": PersonalColumn("cases", _U),
    "cases.contact_info": PersonalColumn("cases", _U),
    "cases.description": PersonalColumn("cases", _K),
    "cases.parish_code": PersonalColumn("cases", _K),
    "cases.person_category": PersonalColumn("cases", _K),
    # a conversation handed to a person (the staff inbox)
    "handoffs.contact_id": PersonalColumn("person", _E),
    "handoffs.parish_code": PersonalColumn("person", _E),
    "handoff_messages.text": PersonalColumn("person", _E),
    # messages to the citizen
    "outbox.address": PersonalColumn("messages", _K),
    "outbox.dedupe_key": PersonalColumn("messages", _K),
    "outbox.body": PersonalColumn("messages", _E),  # once settled: in flight, sent whole
    # security, pseudonymised
    "verification_locks.key": PersonalColumn("security", _K),
    "audit_log.actor_ref": PersonalColumn("security", _K),
    # not the bot's data about a citizen
    "beneficiaries.cedula": PersonalColumn(None, _N),  # the ministry's registry, imported
    "beneficiaries.mobile": PersonalColumn(None, _N),
    "beneficiaries.names": PersonalColumn(None, _N),
    "beneficiaries.birth_date": PersonalColumn(None, _N),
    "beneficiaries.fingerprint_code": PersonalColumn(None, _N),
    "beneficiaries.children_birth_dates": PersonalColumn(None, _N),
    # Acompañamiento Familiar: the ministry's planning of its technicians' work with families
    "technician_assignments.cedula": PersonalColumn(None, _N),
    "home_visits.cedula": PersonalColumn(None, _N),
    "in_person_notices.cedula": PersonalColumn(None, _N),
    "staff.telegram_user_id": PersonalColumn(None, _N),  # staff accounts
    "districts.phone": PersonalColumn(None, _N),  # an office's public phone
    "districts.address": PersonalColumn(None, _N),  # an office's street address
}
