"""No module of ``kb`` (or script of ``benchmarks/``) imports, directly or through others,
a module that imports it back: an AST graph of every import, top-level or inside a
function (an import deferred to break a cycle is still a cycle), and of ``TYPE_CHECKING``
imports too."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KB = REPO / "kb"
#: scripts that import each other by bare name (their folder is put on sys.path)
BENCHMARKS = REPO / "benchmarks"


def module_names(folder: Path, package: bool = True) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``folder``: a package (names
    start with the folder's), or a folder of scripts (names are the file names)."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder.parent if package else folder).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(folder: Path, package: bool = True) -> dict[str, dict[str, int]]:
    """module -> {module of the folder it imports: the line of the first such import}."""
    modules = module_names(folder, package)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # ``from a.b import c`` imports a.b, and a.b.c when c is a module
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                if target in modules and target != name:
                    graph[name].setdefault(target, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def describe(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    edges = [
        f"{source} (line {line}) imports {target}"
        for source in component
        for target, line in graph[source].items()
        if target in component
    ]
    return "; ".join(edges)


def test_kb_has_no_import_cycle() -> None:
    graph = imports(KB)
    assert len(graph) > 20  # the whole package was read
    found = cycles(graph)
    assert not found, "\n".join(describe(graph, c) for c in found)


def test_benchmarks_have_no_import_cycle() -> None:
    graph = imports(BENCHMARKS, package=False)
    assert {"generate", "defects", "synthetic"} <= set(graph)
    found = cycles(graph)
    assert not found, "\n".join(describe(graph, c) for c in found)


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from pkg.c import x\n")
    (package / "c.py").write_text("import pkg.a\nx = 1\n")
    (package / "d.py").write_text("from pkg import a\n")  # into the cycle, not part of it
    graph = imports(package)
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert "pkg.sub.b (line 2) imports pkg.c" in describe(graph, cycles(graph)[0])
