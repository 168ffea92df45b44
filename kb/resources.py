"""Where the ontology, shapes, data and query catalogue live: a ``Layout`` over one root.

The root is ``$KB_ROOT`` when set, else the source checkout this package sits in, else
the copy bundled inside the installed package (``kb/_bundle``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kb.errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_DIR = PACKAGE_DIR / "_bundle"
ENV_ROOT = "KB_ROOT"


@dataclass(frozen=True)
class Layout:
    """The files of one knowledge base, all found relative to ``root``, plus any ontology
    files given explicitly (``kb --import FILE``)."""

    root: Path
    extra_imports: tuple[Path, ...] = ()

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "kb.ttl"

    @property
    def imports(self) -> list[Path]:
        """Local copies of imported ontologies: ``ontology/imports/*.ttl``, then the
        explicit ``--import`` files. ``owl:imports`` statements are never fetched: these
        are the only way an imported ontology gets in."""
        return sorted((self.root / "ontology" / "imports").glob("*.ttl")) + list(self.extra_imports)

    @property
    def ontology_files(self) -> list[Path]:
        """The ontology and its local imports, in load order."""
        return [self.ontology, *self.imports]

    @property
    def shapes(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def data_files(self) -> list[Path]:
        """Every ``data/*.ttl``, sorted by name."""
        return sorted(self.data_dir.glob("*.ttl"))

    @property
    def source_texts(self) -> list[Path]:
        """The source articles, ``data/source/*.txt``, sorted by name."""
        return sorted((self.data_dir / "source").glob("*.txt"))

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def expected_dir(self) -> Path:
        return self.queries_dir / "expected"

    def require(self) -> Layout:
        """Return self, or raise InputError when the root lacks the ontology."""
        if not self.ontology.is_file():
            raise InputError(f"{self.root}: not a knowledge base (no ontology/kb.ttl)")
        return self


def _is_kb_root(path: Path) -> bool:
    return (path / "ontology").is_dir() and (path / "data").is_dir()


def checkout_root() -> Path | None:
    """The source checkout this package sits in, if any."""
    parent = PACKAGE_DIR.parent
    return parent if _is_kb_root(parent) and (parent / "kb").is_dir() else None


def default_layout(root: str | Path | None = None, imports: tuple[str | Path, ...] = ()) -> Layout:
    """The layout to use: ``root`` if given, else $KB_ROOT, the checkout, or the bundle;
    ``imports`` are extra ontology files loaded with the ontology."""
    extra = tuple(Path(path) for path in imports)
    if root:
        return Layout(Path(root).expanduser().resolve(), extra)
    env = os.environ.get(ENV_ROOT)
    if env:
        return Layout(Path(env).expanduser().resolve(), extra)
    checkout = checkout_root()
    return Layout(checkout if checkout is not None else BUNDLE_DIR, extra)
