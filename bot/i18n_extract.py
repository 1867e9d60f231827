"""Babel extractor for the Spanish texts of the TOML data files (`bot/data/*.toml`).

The flows translate some data-file fields at run time (`ctx.t(rules.texts.disclaimer)`), where
`pybabel` cannot see a string literal. This extraction method, mapped in `babel.cfg` as
`[bot.i18n_extract.extract_toml: bot/data/<file>.toml]`, yields those fields as msgids. Which fields
are texts is said per file with the option `keys`: dotted key paths separated by spaces, where `*`
stands for any one key (e.g. `statuses.*.title`). A list value yields each of its strings.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import IO, Any

Extracted = tuple[int, str, str, list[str]]


def _walk(value: object, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Yields (dotted path, string) for every string leaf under `value`."""
    if isinstance(value, str):
        yield ".".join(path), value
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from _walk(child, (*path, str(key)))
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, path)


def _matches(path: str, patterns: Collection[str]) -> bool:
    parts = path.split(".")
    for pattern in patterns:
        wanted = pattern.split(".")
        if len(wanted) == len(parts) and all(
            fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True)
        ):
            return True
    return False


def _line_of(source: str, text: str) -> int:
    """The 1-based line where `text` is written (as a TOML basic string), else 1."""
    needle = json.dumps(text, ensure_ascii=False)
    at = source.find(needle)
    if at < 0:
        at = source.find(text)
    return source.count("\n", 0, at) + 1 if at >= 0 else 1


def text_fields(source: str, patterns: Collection[str]) -> list[tuple[int, str, str]]:
    """The (line, key path, text) of every string in TOML `source` whose path matches a pattern."""
    data: dict[str, Any] = tomllib.loads(source)
    return [
        (_line_of(source, text), path, text)
        for path, text in _walk(data, ())
        if _matches(path, patterns) and text.strip()
    ]


def extract_toml(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method: the text fields named by the `keys` option of `babel.cfg`."""
    patterns = str(options.get("keys", "")).split()
    if not patterns:
        raise ValueError("babel.cfg: a TOML mapping needs its option `keys = path.* …`")
    source = fileobj.read().decode(str(options.get("encoding", "utf-8")))
    for line, path, text in text_fields(source, patterns):
        yield line, "", text, [path]
