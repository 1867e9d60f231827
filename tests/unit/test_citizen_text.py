"""The edge's text functions: controls stripped from what citizens type, staff text defanged."""

from __future__ import annotations

from bot.domain.text import clean_input, for_staff


def test_control_characters_are_stripped_but_newlines_and_tabs_stay() -> None:
    assert clean_input("a\x00b\x1b[31m\tc\r\nd\re\ud800") == "ab[31m\tc\nd\ne"
    assert clean_input("¡Hola! ñandú 👋") == "¡Hola! ñandú 👋"


def test_a_right_to_left_override_and_zero_width_characters_never_reach_staff() -> None:
    shown = for_staff("factura\u202efdp.exe\u200b\u2066x\u2069\ufeff")
    assert shown == "facturafdp[.]exex"


def test_links_and_bare_domains_are_defanged_so_no_client_makes_them_clickable() -> None:
    shown = for_staff("Ingrese a https://mies-pagos.com/b?id=1, www.bono.ec o t.me/falso. Sr. Juan")
    assert shown == (
        "Ingrese a hxxps[://]mies-pagos[.]com/b?id=1, www[.]bono[.]ec o t[.]me/falso. Sr. Juan"
    )
    assert for_staff("tg://resolve?domain=x") == "xg[://]resolve?domain=x"
