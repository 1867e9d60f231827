"""No eligibility text promises a benefit: every verdict template, Spanish and English, is scanned.

The texts are those the extraction map finds in the eligibility code and data (the same extraction
as `make i18n-update`), plus their English translations in the catalog; rendered answers of many
households are scanned too.
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
from bot.domain.registry import Programme
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
