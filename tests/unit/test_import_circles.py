"""No import circle among the package's runtime imports.

A circle makes the import order matter and keeps a newcomer from reading the
code from the bottom up. Imports under ``TYPE_CHECKING`` are left out: they
never run. (import-linter's ``acyclic_siblings`` contract in pyproject.toml
checks ui/ too, at the level of sibling modules and packages.)
"""

from __future__ import annotations

import grimp

PACKAGE = "inductiva_top"

KNOWN_CIRCLES: list[set[str]] = []
"""Circles still to be taken apart; each must still exist, so a fixed one leaves the list."""


def circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected groups of two or more modules (Tarjan's algorithm)."""
    modules = sorted(graph.modules)
    imports = {
        m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(root: str) -> None:
        # Iterative, so a long chain of imports cannot exhaust Python's recursion limit.
        work = [(root, iter(imports[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, pending = work[-1]
            child = next(pending, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(imports[child])))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == module:
                        break
                if len(group) > 1:
                    found.append(group)

    for module in modules:
        if module not in index:
            visit(module)
    return found


def _one_loop(graph: grimp.ImportGraph, group: set[str]) -> str:
    """One import loop through ``group``, readable in a failure message."""
    start = min(group)
    for target in sorted(graph.find_modules_directly_imported_by(start) & group):
        back = graph.find_shortest_chain(importer=target, imported=start)
        if back is not None:
            return " -> ".join((start, *back))
    return ", ".join(sorted(group))


def test_circles_finds_a_loop_and_only_the_loop() -> None:
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.d", imported="p.a")
    assert circles(graph) == [{"p.a", "p.b", "p.c"}]
    assert _one_loop(graph, {"p.a", "p.b", "p.c"}) == "p.a -> p.b -> p.c -> p.a"


def test_no_import_circle_in_the_package() -> None:
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)
    found = circles(graph)
    new = [group for group in found if group not in KNOWN_CIRCLES]
    assert not new, "import circles:\n" + "\n".join(_one_loop(graph, g) for g in new)
    gone = [group for group in KNOWN_CIRCLES if group not in found]
    assert not gone, f"no longer circles, take them off KNOWN_CIRCLES: {gone}"
