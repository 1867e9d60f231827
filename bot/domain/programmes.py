"""Citizen-facing names of the transfer programmes (gettext msgids, translated by the caller)."""

from __future__ import annotations

from bot.domain.errors import N_
from bot.domain.registry import Programme

PROGRAMME_NAMES: dict[Programme, str] = {
    Programme.BDH: N_("Bono de Desarrollo Humano"),
    Programme.BDHV: N_("Bono de Desarrollo Humano con componente variable"),
    Programme.MMA: N_("Pensión Mis Mejores Años"),
    Programme.PAM: N_("Pensión para Adultos Mayores"),
    Programme.PTUV: N_("Pensión Toda una Vida"),
    Programme.PPD: N_("Pensión para Personas con Discapacidad"),
    Programme.BJGL: N_("Bono Joaquín Gallegos Lara"),
    Programme.BOF: N_("Bono para huérfanos por femicidio"),
    Programme.CC: N_("Cobertura de Contingencias"),
    Programme.CDH: N_("Crédito de Desarrollo Humano"),
    Programme.B1000: N_("Bono 1000 Días"),
}


def programme_name(code: str) -> str:
    """The Spanish name (msgid) of a programme code; unknown codes are returned as they are."""
    try:
        return PROGRAMME_NAMES[Programme(code)]
    except ValueError:
        return code
