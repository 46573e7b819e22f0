"""The import graph of ``pybilevel/``: import circles and import floors.

An edge A -> B is an import of module B anywhere in module A (at module level or inside a
function: a lazy import is still a dependency), except imports under ``if TYPE_CHECKING:``,
which never run. ``from pybilevel.pkg import name`` is an edge to ``pybilevel.pkg.name`` when that
is a module, else to ``pybilevel.pkg``. The implicit import of a parent package is not an edge.

* circles: strongly connected components with more than one module (or a self-import);
* floors: a module that imports no pybilevel module is on floor 1; any other module is one floor
  above the highest module it imports (the longest import chain, counted in modules).

Run: ``python tools/import_graph.py [--max-floors 8]``; exits 1 when there is a circle or the
floors exceed the maximum.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

PACKAGE = "pybilevel"


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package under ``root``."""
    names = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_imports: bool = False) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every runtime import in ``tree`` (and type-only ones if asked)."""
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node) and not type_imports:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path, type_imports: bool = False) -> dict[str, set[str]]:
    """Module -> the pybilevel modules it imports (``type_imports``: also under TYPE_CHECKING)."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, imported in _imports(ast.parse(path.read_text(), str(path)), type_imports):
            if module != PACKAGE and not module.startswith(PACKAGE + "."):
                continue
            targets = [f"{module}.{n}" for n in imported if f"{module}.{n}" in modules]
            if len(targets) < len(imported) or not imported:
                targets.append(module)
            graph[name].update(t for t in targets if t in modules)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, and self-imports (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Floor of each module (the graph must have no circle)."""
    floor: dict[str, int] = {}

    def of(node: str) -> int:
        if node not in floor:
            floor[node] = 1 + max((of(t) for t in graph[node]), default=0)
        return floor[node]

    for node in graph:
        of(node)
    return floor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--max-floors", type=int, default=8)
    parser.add_argument("--type-imports", action="store_true", help="count imports under TYPE_CHECKING as edges too")
    args = parser.parse_args(argv)
    graph = import_graph(args.root, args.type_imports)
    found = circles(graph)
    for component in found:
        print("import circle: " + " <-> ".join(component))
    if found:
        return 1
    floor = floors(graph)
    top = max(floor.values())
    for level in range(top, 0, -1):
        print(f"floor {level}: " + ", ".join(sorted(n for n, f in floor.items() if f == level)))
    print(f"{len(graph)} modules, 0 import circles, {top} floors (maximum {args.max_floors})")
    return 0 if top <= args.max_floors else 1


if __name__ == "__main__":
    sys.exit(main())
