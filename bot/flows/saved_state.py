"""How a conversation's state is kept in `conversations.data`: an envelope the engine owns.

The JSON holds two keys that never share a namespace:

    {"engine": {"last": "<the question a repeat shows>"}, "state": {<the flow's state>}}

`state` is the current flow's `state_type` (a frozen dataclass) as JSON, written and read with a
pydantic `TypeAdapter`, so a step gets back exactly the typed object the previous step left.
Conversations saved by the previous version (the flow's keys at the top level beside the
engine's `_last` and `_flow`) are still read: their flow keys are validated as the state, so a
citizen mid-flow during a deploy goes on where they were. State that does not validate raises
`UnreadableState`; the engine logs it (field names only, never values) and shows the menu.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

ENGINE = "engine"
STATE = "state"
_OLD_ENGINE_KEYS = ("_last", "_flow")


class UnreadableState(Exception):
    """The saved state does not fit the flow's state type (an old or damaged row)."""

    def __init__(self, state_type: type[Any], fields: tuple[str, ...]) -> None:
        super().__init__(f"{state_type.__name__}: {', '.join(fields) or '?'}")
        self.state_type = state_type
        self.fields = fields


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(state_type: type[Any]) -> TypeAdapter[Any]:
    """One adapter per state type, built on first use (building one is slow)."""
    adapter = _ADAPTERS.get(state_type)
    if adapter is None:
        adapter = _ADAPTERS[state_type] = TypeAdapter(state_type)
    return adapter


def _is_envelope(data: dict[str, Any]) -> bool:
    return isinstance(data.get(ENGINE), dict)


def load_state(state_type: type[Any], data: dict[str, Any] | None) -> Any:
    """The flow's typed state from the saved JSON (new envelope or the previous flat format)."""
    data = data or {}
    if _is_envelope(data):
        raw = data.get(STATE) or {}
    else:
        raw = {k: v for k, v in data.items() if k not in _OLD_ENGINE_KEYS}
    try:
        return _adapter(state_type).validate_python(raw)
    except ValidationError as error:
        fields = tuple(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise UnreadableState(state_type, fields) from None


def dump_state(state_type: type[Any], state: object | None) -> dict[str, Any]:
    """The state as JSON-ready data; `None` stands for the type's defaults."""
    if state is None:
        state = state_type()
    if not isinstance(state, state_type):
        raise TypeError(f"a step returned {type(state).__name__}, not {state_type.__name__}")
    # Defaults are not stored: a state is what the next step needs, and loading fills them in.
    dumped = _adapter(state_type).dump_python(state, mode="json", exclude_defaults=True)
    if not isinstance(dumped, dict):
        raise TypeError(f"{state_type.__name__} must be a dataclass")
    return dumped


def envelope(state: dict[str, Any], last_question: str) -> dict[str, Any]:
    """The JSON saved in `conversations.data`: the engine's keys apart from the flow's state."""
    return {ENGINE: {"last": last_question}, STATE: state}


def last_question(data: dict[str, Any] | None) -> str | None:
    """The question a repeat shows again, from either format."""
    data = data or {}
    if _is_envelope(data):
        text = data[ENGINE].get("last")
    else:
        last = data.get("_last")
        text = last.get("text") if isinstance(last, dict) else None
    return str(text) if text else None


def hold_options(data: dict[str, Any] | None, options: list[dict[str, Any]]) -> dict[str, Any]:
    """`data` with the options of the question being answered kept aside (while the engine asks
    something else, e.g. whether to leave), the flow's state untouched."""
    data = dict(data or {})
    if not _is_envelope(data):
        last = last_question(data) or ""
        data = envelope({k: v for k, v in data.items() if k not in _OLD_ENGINE_KEYS}, last)
    data[ENGINE] = {**data[ENGINE], "held_options": list(options)}
    return data


def held_options(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The options `hold_options` kept aside (none when nothing was held)."""
    data = data or {}
    held = data.get(ENGINE, {}).get("held_options") if _is_envelope(data) else None
    return list(held) if isinstance(held, list) else []


def without_held_options(data: dict[str, Any] | None) -> dict[str, Any]:
    """`data` without the held options."""
    data = dict(data or {})
    if _is_envelope(data):
        data[ENGINE] = {k: v for k, v in data[ENGINE].items() if k != "held_options"}
    return data
