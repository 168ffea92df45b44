"""The documentation's Python examples run (as Oxigraph's python/tests/test_doc.py): every
```python block of the README, and every ``>>>`` example in the kb package's docstrings.
None may be skipped."""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import re

import pytest

from tests.helpers import REPO

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def readme_blocks() -> list[str]:
    return PYTHON_BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))


def modules_with_examples() -> list[str]:
    """Every module of kb/ whose source holds a ``>>>`` example."""
    names = []
    for path in sorted((REPO / "kb").rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(REPO).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_readme_has_python_examples() -> None:
    assert readme_blocks()


@pytest.mark.parametrize("number", range(len(readme_blocks())))
def test_readme_python_example_runs(number: int) -> None:
    """Each block runs in a fresh namespace; one that prints must print something."""
    code = readme_blocks()[number]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md python block {number + 1}", "exec"), {})
    assert "print(" not in code or out.getvalue().strip()


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(module) if t.examples and t.name.startswith(name)]
    skipped = [t.name for t in tests for e in t.examples if e.options.get(doctest.SKIP)]
    assert not skipped, f"examples marked skip: {skipped}"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0, f"{runner.failures} of {runner.tries} failed"
