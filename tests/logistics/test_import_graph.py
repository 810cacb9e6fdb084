"""The house stays straight: no import circle among the portal's own modules.

The graph counts every import of a first-party module, at module level or inside a function
(a lazy import hides a circle from Python, not from a reader). A package importing its own
submodules is not a circle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("logistics", "apartments", "maintenance", "dining", "quality")

# Circles we live with for now, each named with its reason (none at present).
KNOWN_CIRCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in filter(None, map(resolve, targets)):
                if target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def test_the_graph_sees_lazy_imports():
    graph = _graph(_modules())
    # apartments.hall imports apartments.imports inside a function
    assert "apartments.imports" in graph["apartments.hall"]


def test_no_import_circle_among_the_portals_modules():
    circles = [c for c in _circles(_graph(_modules())) if c not in KNOWN_CIRCLES]
    assert circles == [], "import circles: " + "; ".join(" <-> ".join(sorted(c)) for c in circles)
