"""The competency-question catalogue: ``queries/*.rq`` with their header comments
(``# title:``, ``# question:``, ``# param: NAME = DEFAULT``) and expected answers."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import InputError
from kb.resources import Layout

_HEADER = re.compile(r"^#\s*(title|question|param)\s*:\s*(.*?)\s*$", re.I)
_PARAM = re.compile(r"^\??([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*))?$")


@dataclass(frozen=True)
class CatalogueQuery:
    """One catalogue entry."""

    name: str
    path: Path
    text: str
    title: str = ""
    question: str = ""
    #: parameter name -> default value (``--bind`` syntax; None when there is none)
    params: dict[str, str | None] = field(default_factory=dict)


def parse_query_file(path: Path) -> CatalogueQuery:
    """Read one ``.rq`` file and its header comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    headers: dict[str, str] = {}
    params: dict[str, str | None] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key == "param":
            param = _PARAM.match(value)
            if param:
                params[param.group(1)] = _unquote(param.group(2))
        else:
            headers.setdefault(key, value)
    title, question = headers.get("title", ""), headers.get("question", "")
    return CatalogueQuery(path.stem, path, text, title, question, params)


def _unquote(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def catalogue(layout: Layout) -> list[CatalogueQuery]:
    """Every catalogue query, sorted by name."""
    return [parse_query_file(p) for p in sorted(layout.queries_dir.glob("*.rq"))]


def find(layout: Layout, name: str) -> CatalogueQuery:
    """The catalogue query called ``name``; unknown names suggest the closest ones."""
    path = layout.queries_dir / f"{name}.rq"
    if re.fullmatch(r"[A-Za-z0-9_.-]+", name) and path.is_file():
        return parse_query_file(path)
    names = [p.stem for p in sorted(layout.queries_dir.glob("*.rq"))]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see kb query --list"
    raise InputError(f"unknown query {name!r}{hint}")


def expected_path(layout: Layout, name: str) -> Path:
    """Where the expected answer of ``name`` lives (``queries/expected/NAME.srj``)."""
    return layout.expected_dir / f"{name}.srj"
