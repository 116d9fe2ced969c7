"""The import directions of docs/ARCHITECTURE.md, enforced on the source (no module is run).

- `models` and `guidance_rules` import neither Flask, `frontline`, nor each other;
- audience packages (`host`, `rep`, `analyst`, `admin`, `leads`, `api`) import services,
  never another audience's package;
- services (`cargo`, `casino`, `guidance`, `scoring`, ...) never import an audience package;
- `cargo` and `casino` never import each other, and what they share imports neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AUDIENCES = {"host", "rep", "analyst", "admin", "leads", "api"}
BUSINESSES = {"cargo", "casino"}
#: What both businesses build on: it may not reach into either one.
SHARED = {"guidance", "scoring", "push", "tables", "auth", "imports", "demo", "people"}
#: Modules that assemble the app or the CLI: they may import every package.
ASSEMBLY = {"frontline", "frontline.cli", "frontline.gunicorn_conf"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved to absolute names."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, node.module] if node.module else base)
            found.add(stem)
            found |= {f"{stem}.{alias.name}" for alias in node.names}
    return found


def sources(top: str) -> list[Path]:
    return sorted(p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def top(name: str, depth: int = 1) -> str:
    return ".".join(name.split(".")[:depth])


def violations(top_package: str, allowed) -> list[str]:
    found = []
    for path in sources(top_package):
        here = module_name(path)
        for name in sorted(imports(path)):
            if not allowed(here, name):
                found.append(f"{here} imports {name}")
    return found


def test_the_contract_sees_every_import_kind():
    """The checker itself: relative and absolute imports are resolved to full names."""
    names = imports(ROOT / "frontline" / "cargo" / "quoting.py")
    assert "frontline.cargo.pricing.price" in names  # from .pricing import price
    assert "frontline.guidance.packs" in names  # from ..guidance.packs import published_pack
    assert "guidance_rules" in names  # import guidance_rules


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("models", {"flask", "frontline", "guidance_rules"}),
        ("guidance_rules", {"flask", "frontline", "models"}),
    ],
)
def test_models_and_the_rule_language_stand_alone(package, forbidden):
    assert violations(package, lambda _here, name: top(name) not in forbidden) == []


def _layer(name: str) -> str | None:
    """The frontline package a module belongs to (`frontline.cargo.x` -> `cargo`)."""
    parts = name.split(".")
    return parts[1] if parts[0] == "frontline" and len(parts) > 1 else None


def _frontline_allowed(here: str, name: str) -> bool:
    if here in ASSEMBLY or here.startswith("frontline.cli."):
        return True
    mine, theirs = _layer(here), _layer(name)
    if theirs is None or theirs == mine:
        return True
    if theirs in AUDIENCES:
        return False  # nobody imports an audience's views but the assembly
    if theirs in BUSINESSES:
        return mine not in BUSINESSES | SHARED  # shared services serve both, know neither
    return True


def test_audiences_import_services_and_businesses_stay_apart():
    assert violations("frontline", _frontline_allowed) == []


def test_the_rules_of_the_contract_can_fail():
    assert not _frontline_allowed("frontline.api.cargo", "frontline.rep.views")
    assert not _frontline_allowed("frontline.cargo.deals", "frontline.casino.routing")
    assert not _frontline_allowed("frontline.casino.arrivals", "frontline.host.views")
    assert not _frontline_allowed("frontline.guidance.issue", "frontline.cargo.facts")
    assert _frontline_allowed("frontline.rep.views", "frontline.cargo.capacity")
