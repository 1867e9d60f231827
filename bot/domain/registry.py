"""The beneficiary registry's vocabulary: programmes, payment statuses and reason codes.

Codes are what the monthly registry file carries; their citizen-facing explanations live in
`bot/data/payment_status.toml` (policy texts change; code does not).
"""

from __future__ import annotations

from enum import StrEnum


class Programme(StrEnum):
    """Transfer programmes (see shared/domain.md)."""

    BDH = "BDH"
    BDHV = "BDHV"
    MMA = "MMA"
    PAM = "PAM"
    PTUV = "PTUV"
    PPD = "PPD"
    BJGL = "BJGL"
    BOF = "BOF"
    CC = "CC"
    CDH = "CDH"
    B1000 = "B1000"  # Bono 1000 Días (ex Infancia con Futuro): pregnancy to age 2


class PaymentStatus(StrEnum):
    """Where a beneficiary's monthly payment stands."""

    ACTIVE = "activo"
    NOT_ENABLED = "no_habilitado"
    SUSPENDED = "suspendido"
    REMOVED = "dado_de_baja"
    NOT_COLLECTED = "no_cobrado"
    ACCOUNT_PROBLEM = "problema_cuenta"
    RESCHEDULED = "pago_reprogramado"
    COLLECTED_BY_OTHER = "cobrado_por_tercero"
    WITHHELD = "retenido"  # held back while something is settled (CDH repayment, duplicate record)


# Each code's citizen text, what to do, source, date and confidence: bot/data/payment_status.toml.
# An active payment may carry a reason too: why the amount dropped or an extra payment did not come.
REASON_CODES: dict[PaymentStatus, tuple[str, ...]] = {
    PaymentStatus.ACTIVE: (
        "monto_hijo_cumplio_5",
        "monto_hijo_cumplio_18",
        "monto_cambio_hogar",
        "b1000_controles_prenatales",
        "b1000_registro_civil",
        "b1000_controles_nino",
    ),
    PaymentStatus.NOT_ENABLED: (
        "rs_desactualizado",
        "puntaje_fuera_de_rango",
        "sin_registro_social",
        "bjgl_visita_pendiente",
        "bjgl_certificado",
        "ptuv_certificado",
    ),
    PaymentStatus.SUSPENDED: (
        "corresp_control_menor5",
        "corresp_control_prenatal",
        "corresp_salud_sexual",
        "corresp_matricula",
        "corresp_asistencia",
        "corresp_trabajo_infantil",
    ),
    PaymentStatus.REMOVED: (
        "afiliacion_iess",
        "afiliacion_issfa",
        "afiliacion_isspol",
        "empleo_formal",
        "empleo_formal_miembro_hogar",
        "afiliacion_miembro_hogar",
        "pension_jubilacion",
        "fallecimiento",
        "beneficio_incompatible",
        "cambio_titular",
        "ptuv_cumplio_65",
        "b1000_nino_cumplio_2",
    ),
    PaymentStatus.NOT_COLLECTED: ("dos_meses_sin_cobro",),
    PaymentStatus.ACCOUNT_PROBLEM: (
        "cuenta_inactiva",
        "cuenta_no_titular",
        "sin_codigo_dactilar",
        "b1000_sin_cuenta",
    ),
    PaymentStatus.RESCHEDULED: ("feriado",),
    PaymentStatus.COLLECTED_BY_OTHER: ("cobro_no_reconocido",),
    PaymentStatus.WITHHELD: ("credito_cdh", "registro_duplicado"),
}


def is_known_reason(status: PaymentStatus, reason: str | None) -> bool:
    """True when `reason` is empty or belongs to `status`."""
    return reason is None or reason == "" or reason in REASON_CODES[status]


# The columns of the monthly registry CSV, in order (docs/registry-csv.md).
REGISTRY_COLUMNS = (
    "cedula",
    "names",
    "birth_date",
    "fingerprint_code",
    "mobile",
    "parish_code",
    "programme",
    "status",
    "reason_code",
    "amount",
    "last_payment_date",
    "next_payment_date",
    "collection_point",
    # Corresponsabilidad (bot/domain/corresponsabilidad.py): the household's children's birth
    # dates and the conditions still to be met, with their due dates when the ministry has them.
    "children_birth_dates",
    "pending_conditions",
)
