"""SMS segment counting and transliteration follow GSM 03.38."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.sms_text import estimated_cost, segment_info, transliterate


def test_plain_spanish_with_gsm_characters_stays_gsm7() -> None:
    info = segment_info("¿Qué tal, señor Muñoz? ¡Güiro!")
    assert info.encoding == "GSM-7"
    assert info.segments == 1


def test_gsm7_limits_are_160_then_153() -> None:
    assert segment_info("a" * 160).segments == 1
    assert segment_info("a" * 161).segments == 2
    assert segment_info("a" * 306).segments == 2
    assert segment_info("a" * 307).segments == 3


def test_extension_characters_count_twice() -> None:
    assert segment_info("€" * 80).units == 160
    assert segment_info("€" * 81).segments == 2


def test_one_accent_switches_to_ucs2_70_then_67() -> None:
    assert segment_info("á" + "a" * 69).segments == 1
    info = segment_info("á" + "a" * 70)
    assert (info.encoding, info.segments) == ("UCS-2", 2)
    assert segment_info("á" + "a" * 133).segments == 2
    assert segment_info("á" + "a" * 134).segments == 3


def test_transliteration_removes_only_what_gsm7_lacks() -> None:
    text = "Reunión en Tacamoros: ¿participará? Días útiles. Ñandú, pingüino, café. ÁÍÓÚ"
    result = transliterate(text)
    assert result == "Reunion en Tacamoros: ¿participara? Dias utiles. Ñandu, pingüino, café. AIOU"
    assert segment_info(result).encoding == "GSM-7"


def test_cost_is_segments_times_recipients_times_price() -> None:
    assert estimated_cost(2, 1000, 0.05) == Decimal("100.00")
