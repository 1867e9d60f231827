"""The kinds of parish event the ministry runs, and their Spanish names (the one list).

Staff choose a kind when they create an event, plan imports check it, and citizens read its
name before the event's title. A new kind is added here only.
"""

from __future__ import annotations

from bot.domain.errors import N_

EVENT_KIND_LABELS = {
    "brigada_social": N_("Brigada social"),
    "dialogo_ciudadano": N_("Diálogo ciudadano"),
    "sensibilizacion": N_("Sensibilización"),
    "feria": N_("Feria"),
    # Acompañamiento Familiar's components (seed 003 §2.1.1) and the CDH training sessions.
    # A home visit to one family is a `home_visits` row (personal), never a parish event.
    "sesion_grupal": N_("Sesión grupal de Acompañamiento Familiar"),
    "encuentro_comunitario": N_("Encuentro comunitario"),
    "capacitacion_cdh": N_("Capacitación para el Crédito de Desarrollo Humano"),
}
EVENT_KINDS = tuple(EVENT_KIND_LABELS)
