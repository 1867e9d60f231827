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
}
EVENT_KINDS = tuple(EVENT_KIND_LABELS)
