"""The layering of docs/architecture.md, checked on the import statements of every module:
only the Whoosh backend imports Whoosh, and imports point one way (cli -> api, indexer -> search)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("search", "indexer", "api", "cli")
# package -> the top-level packages of ours it must never import
FORBIDDEN = {"search": {"api", "indexer", "cli"}, "indexer": {"api", "cli"}, "api": {"cli"}, "cli": set()}


def imported(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (relative imports resolved to our package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add(path.relative_to(ROOT).parts[0])
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package):
    assert modules(package), f"no modules under {package}/"
    wrong = {str(p.relative_to(ROOT)): sorted(imported(p) & FORBIDDEN[package]) for p in modules(package)}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_only_the_whoosh_backend_imports_whoosh():
    backend = ROOT / "search" / "whoosh_backend"
    offenders = [
        str(p.relative_to(ROOT))
        for package in (*PACKAGES, "bench")
        for p in modules(package)
        if backend not in p.parents and "whoosh" in imported(p)
    ]
    assert offenders == []
