"""The registry import's vocabulary knows every new reason, each under its own status only."""

from __future__ import annotations

from bot.domain.registry import REASON_CODES, PaymentStatus, is_known_reason
from bot.domain.registry_rows import validate_row
from bot.storage.registry_sample import sample_row


def _row(status: str, reason: str) -> dict[str, str]:
    return {**sample_row(1), "status": status, "reason_code": reason, "parish_code": "111252"}


def test_a_cdh_repayment_row_is_accepted_and_a_reason_under_the_wrong_status_is_not() -> None:
    values, errors = validate_row(_row("retenido", "credito_cdh"), 2, frozenset({"111252"}))
    assert not errors and values is not None and values["status"] == "retenido"
    _, errors = validate_row(_row("activo", "credito_cdh"), 2, frozenset({"111252"}))
    assert [e.column for e in errors] == ["reason_code"]


def test_every_reason_code_fits_the_column_and_belongs_to_one_status() -> None:
    codes = [code for codes in REASON_CODES.values() for code in codes]
    assert len(codes) == len(set(codes))
    assert all(len(code) <= 40 for code in codes)  # beneficiaries.reason_code is String(40)
    assert all(len(status.value) <= 24 for status in PaymentStatus)  # status is String(24)
    assert is_known_reason(PaymentStatus.ACTIVE, "monto_hijo_cumplio_5")
