"""Dependencies point one way (docs/architecture.md): the kernel imports no app, apartments
imports neither maintenance nor quality, no service app imports quality. "My room" shows the
room's repairs through a hall panel maintenance registers, not by apartments importing it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "logistics": {"apartments", "maintenance", "dining", "quality"},
    "apartments": {"maintenance", "dining", "quality"},
    "maintenance": {"dining", "quality"},
    "dining": {"apartments", "maintenance", "quality"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_what_it_may(app):
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        bad = imported_top_levels(path) & FORBIDDEN[app]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []
