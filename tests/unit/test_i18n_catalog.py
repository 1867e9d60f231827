"""The English catalog is complete: every msgid the code and the data files can show is translated.

The msgids are extracted in-process exactly as `make i18n-update` does (babel.cfg, same keywords),
so a string added without a translation fails here with the list of what is missing.
Fix: `make i18n-update`, translate the new entries of bot/locale/en/LC_MESSAGES/messages.po
(remove any `#, fuzzy` line after checking the suggestion), then `make i18n`.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

try:
    from babel.messages.frontend import parse_mapping_cfg
except ImportError:  # Babel < 2.15
    from babel.messages.frontend import parse_mapping as parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.domain.eligibility import load_rules
from bot.domain.payment_status import load_texts
from bot.i18n import DOMAIN, LOCALE_DIR
from bot.i18n_check import check_po, main, placeholder_problems
from bot.i18n_extract import extract_toml, text_fields

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# The keywords of `make i18n-update` (checked against the Makefile below).
EXTRA_KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
HOW_TO_FIX = (
    "run `make i18n-update`, translate these entries in bot/locale/en/LC_MESSAGES/messages.po "
    "(no `#, fuzzy` left), then `make i18n`"
)


@cache
def extracted() -> dict[str, list[str]]:
    """msgid → where it comes from, for every message the extraction map finds."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        # A plural (`tn`) is one catalog entry, keyed by its singular.
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def catalog() -> Catalog:
    """The English catalog as committed."""
    with PO_FILE.open("rb") as po:
        return read_po(po, locale="en")


def _strings(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def test_the_extraction_finds_the_code_and_the_data_file_texts() -> None:
    found = extracted()
    assert len(found) > 400
    assert "¿En qué le puedo ayudar? Elija una opción:" in found  # ctx.t in a flow
    assert "Bono de Desarrollo Humano" in found  # N_ constant
    assert "Su pago está activo." in found  # payment_status.toml
    assert "Croquis de la vivienda" in found  # eligibility.toml, a list item
    assert any(where.startswith("notificaciones/") for refs in found.values() for where in refs)


def test_every_msgid_has_an_english_translation() -> None:
    po = catalog()
    missing = []
    for msgid, where in sorted(extracted().items()):
        message = po.get(msgid)
        strings = _strings(message.string) if message is not None else ()
        if not strings or not all(strings):  # every plural form translated
            missing.append(f"{msgid!r}  ({where[0]})")
    assert not missing, f"{len(missing)} msgid(s) without English; {HOW_TO_FIX}:\n" + "\n".join(
        missing
    )


def test_no_fuzzy_entries_and_the_header_is_not_fuzzy() -> None:
    po = catalog()
    assert not po.fuzzy, "the catalog header is marked fuzzy: pybabel would not compile it"
    fuzzy = [repr(m.id) for m in po if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries (check them, then remove `#, fuzzy`):\n" + "\n".join(fuzzy)


def test_translations_keep_the_placeholders_of_their_msgid() -> None:
    wrong = [
        problem
        for message in catalog()
        if message.id and (problem := placeholder_problems(message.id, message.string))
    ]
    assert not wrong, "translations whose {placeholders} differ from the msgid:\n" + "\n".join(
        wrong
    )


def test_the_strict_check_of_make_i18n_passes() -> None:
    assert check_po(PO_FILE) == []


def test_the_strict_check_rejects_broken_syntax_and_wrong_placeholders(tmp_path: Path) -> None:
    good = PO_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "broken.po"
    broken.write_text(good.replace('msgid "Su pago está activo."', 'msgid "Su pago está activo.'))
    assert any("not valid PO syntax" in p for p in check_po(broken))
    assert main([str(broken)]) == 1

    renamed = tmp_path / "renamed.po"
    renamed.write_text(good.replace('msgstr "Next step: {step}"', 'msgstr "Next step: {paso}"'))
    assert [p for p in check_po(renamed) if "{paso}" in p and "{step}" in p]

    unbalanced = tmp_path / "unbalanced.po"
    unbalanced.write_text(good.replace('msgstr "Next step: {step}"', 'msgstr "Next step: {step"'))
    assert check_po(unbalanced)
    assert main([str(PO_FILE)]) == 0


def test_the_compiled_catalog_matches_the_po_file() -> None:
    assert MO_FILE.exists(), "bot/locale/en/LC_MESSAGES/messages.mo is missing: run `make i18n`"
    with MO_FILE.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        repr(m.id)
        for m in catalog()
        if m.id
        and isinstance(m.id, str)
        and m.string
        and not m.fuzzy
        and compiled.gettext(m.id) != m.string
    ]
    assert not stale, "messages.mo is older than messages.po: run `make i18n`\n" + "\n".join(stale)


def test_the_makefile_extracts_with_the_same_keywords_as_this_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ni18n-update:", 1)[1].split("\n\n", 1)[0]
    keywords = set(re.findall(r"--keywords (\S+)", recipe))
    assert keywords == {"t", "tn:1,2", "N_"}
    assert "babel.cfg" in recipe


def test_every_data_file_text_the_flows_translate_is_extracted() -> None:
    found = extracted()
    texts = load_texts()
    payment = [
        t
        for s in texts.statuses.values()
        for t in (s.title, s.explanation, *s.what_to_do, *s.after_reason)
    ]
    payment += [
        t for r in texts.reasons.values() for t in (r.explanation, r.condition, *r.what_to_do) if t
    ]
    days = texts.collection_days
    payment += [*days.calendar, days.orientation, days.may_change, days.ask]
    rules = load_rules()
    eligibility = [rules.texts.disclaimer, rules.texts.rs_next_step]
    eligibility += [doc for docs in rules.documents.values() for doc in docs]
    eligibility += list(rules.next_steps.values())
    not_extracted = [t for t in payment + eligibility if t not in found]
    assert not not_extracted, "data-file texts missing from babel.cfg `keys`:\n" + "\n".join(
        not_extracted
    )


def test_the_toml_extractor_yields_only_the_configured_keys() -> None:
    source = (
        'effective_date = 2025-08-01\nsource = "no"\n\n[statuses.activo]\ntitle = "Activo."\n'
        'code = "x"\n\n[documents]\nBDH = ["Cédula", "Registro"]\n'
    )
    fields = text_fields(source, ["statuses.*.title", "documents.*"])
    assert fields == [
        (5, "statuses.activo.title", "Activo."),
        (9, "documents.BDH", "Cédula"),
        (9, "documents.BDH", "Registro"),
    ]


def test_the_toml_extractor_needs_its_keys_option() -> None:
    with (ROOT / "bot" / "data" / "eligibility.toml").open("rb") as data, pytest.raises(ValueError):
        list(extract_toml(data, {}, [], {}))
