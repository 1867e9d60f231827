"""No eligibility or payment text promises a benefit: every template, Spanish and English.

The texts are those the extraction map finds in the eligibility code and data and in the payment
status data and flow (the same extraction as `make i18n-update`), plus their English translations
in the catalog; rendered answers of many households, and every status × reason, are scanned too.
Payment texts are also scanned for the unsourced promises issue 12 removed (a refund by "the
payment insurance", "paid to a código-dactilar account since 2024") and for a promised date.
"""

from __future__ import annotations

import itertools
import re

from bot.domain.eligibility import (
    Affiliation,
    CareKind,
    Household,
    RsLevel,
    evaluate,
    load_rules,
)
from bot.domain.payment_status import explain, load_texts
from bot.domain.registry import REASON_CODES, Programme
from tests.unit.test_i18n_catalog import catalog, extracted

VERDICT_FILES = (
    "bot/domain/eligibility.py",
    "bot/flows/citizen/eligibility.py",
    "bot/flows/citizen/programme_info.py",
    "bot/data/eligibility.toml",
)
SPANISH_PROMISES = re.compile(
    r"\bcalifica\b|\brecibir[áa]n?\b|no hace falta|\bseguro\b|garantiz|probablemente",
    re.IGNORECASE,
)
ENGLISH_PROMISES = re.compile(
    r"qualif|will receive|will get|no need|do not need to apply|\bsure\b|guarantee|probably",
    re.IGNORECASE,
)
PAYMENT_FILES = (
    "bot/domain/payment_status.py",
    "bot/flows/citizen/payment_status.py",
    "bot/data/payment_status.toml",
)
# Unsourced promises (issue 12) and promised dates; jargon said without its explanation.
SPANISH_PAYMENT_PROMISES = re.compile(
    r"devolver(le)?\b|devolver[áa]|reembols|desde 2024|usuario habilitado|\bcobrar[áa]\b|"
    r"le pagar[áa]n?\b|\bsin falta\b|\bser[áa] pagad|\bfecha segura",
    re.IGNORECASE,
)
ENGLISH_PAYMENT_PROMISES = re.compile(
    r"refund|repay you|since 2024|enabled user|\bwill (be )?(paid|arrive|collect)|without fail",
    re.IGNORECASE,
)
# A proper noun, not a promise: the non-contributory social-security regime (an answer option).
PROPER_NOUNS = ("Seguro Campesino",)


def _plain(text: str) -> str:
    for noun in PROPER_NOUNS:
        text = text.replace(noun, "")
    return text


def verdict_texts() -> list[str]:
    """Every msgid that the eligibility code and data can show."""
    return [
        msgid
        for msgid, where in extracted().items()
        if any(ref.replace("\\", "/").startswith(VERDICT_FILES) for ref in where)
    ]


def test_the_scan_sees_the_verdict_templates_of_code_and_data() -> None:
    texts = verdict_texts()
    assert "🔎 Puede corresponderle: {name}" in texts  # flow code
    assert "Usted nos dijo que su hogar está en pobreza." in texts  # domain code
    assert load_rules().texts.ministry_decides in texts  # data file
    assert load_rules().next_steps[Programme.BDH] in texts


def test_no_spanish_verdict_text_promises_a_benefit() -> None:
    promising = [t for t in verdict_texts() if SPANISH_PROMISES.search(_plain(t))]
    assert not promising, "promise words in verdict texts:\n" + "\n".join(promising)


def test_no_english_verdict_text_promises_a_benefit() -> None:
    po = catalog()
    english = []
    for msgid in verdict_texts():
        message = po.get(msgid)
        assert message is not None, msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english += [str(s) for s in strings]
    promising = [t for t in english if ENGLISH_PROMISES.search(_plain(t))]
    assert not promising, "promise words in English verdict texts:\n" + "\n".join(promising)


def test_no_verdict_for_any_household_states_a_promise() -> None:
    rules = load_rules()
    for level, affiliation, age, care in itertools.product(
        RsLevel, Affiliation, (17, 30, 66, 80), CareKind
    ):
        h = Household(age, level, affiliation, 1, 1, 50, care, 90, pregnancy=age == 30)
        for verdict in evaluate(rules, h):
            for reason in verdict.reasons:
                assert not SPANISH_PROMISES.search(reason.template), reason


def payment_texts() -> list[str]:
    """Every msgid that the payment-status data, domain and flow can show."""
    return [
        msgid
        for msgid, where in extracted().items()
        if any(ref.replace("\\", "/").startswith(PAYMENT_FILES) for ref in where)
    ]


def _english(msgids: list[str]) -> list[str]:
    po = catalog()
    english = []
    for msgid in msgids:
        message = po.get(msgid)
        assert message is not None, msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english += [str(s) for s in strings]
    return english


def test_the_scan_sees_every_payment_status_and_reason_text_of_the_data() -> None:
    texts = set(payment_texts())
    data = load_texts()
    for status in data.statuses.values():
        assert {status.title, status.explanation, *status.what_to_do} <= texts
        assert set(status.after_reason) <= texts
    for reason in data.reasons.values():
        assert {reason.explanation, *reason.what_to_do} <= texts
    days = data.collection_days
    assert {*days.calendar, days.orientation, days.may_change, days.ask} <= texts
    assert "Qué hacer:" in texts  # flow code


def test_no_spanish_payment_text_promises_money_or_a_date() -> None:
    promising = [
        t
        for t in payment_texts()
        if SPANISH_PROMISES.search(_plain(t)) or SPANISH_PAYMENT_PROMISES.search(t)
    ]
    assert not promising, "promises in payment texts:\n" + "\n".join(promising)


def test_no_english_payment_text_promises_money_or_a_date() -> None:
    english = _english(payment_texts())
    promising = [
        t
        for t in english
        if ENGLISH_PROMISES.search(_plain(t)) or ENGLISH_PAYMENT_PROMISES.search(t)
    ]
    assert not promising, "promises in English payment texts:\n" + "\n".join(promising)


def test_every_status_and_reason_answer_is_free_of_promises() -> None:
    for status, codes in REASON_CODES.items():
        for code in (None, *codes):
            info = explain(status.value, code)
            said = [info.title, info.explanation, info.reason or "", *info.steps]
            for text in said:
                assert not SPANISH_PROMISES.search(_plain(text)), (status, code, text)
                assert not SPANISH_PAYMENT_PROMISES.search(text), (status, code, text)


def test_jargon_is_explained_where_it_is_said() -> None:
    for text in payment_texts():
        if "no sube a pago" in text.lower():
            assert "quiere decir" in text.lower(), text
