"""The layers of DESIGN §5, checked on the source: which packages may not import which."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (package, packages none of its modules may import, why): add a row per rule. A row naming a
# package that has no modules fails, so the table cannot go stale quietly.
RULES = [
    (
        "marketplace/search",
        ("marketplace.catalog", "marketplace.billing", "marketplace.blueprints"),
        "search is handed its offers by a loader (the factory's), it never reads the catalogue",
    ),
    (
        "marketplace/billing",
        ("marketplace.blueprints",),
        "billing depends on domain models, never on HTTP",
    ),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module this source imports, anywhere in it (inside functions and TYPE_CHECKING too),
    relative imports resolved against `module`."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # `from marketplace import catalog` imports the package too.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(package_dir: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package_dir).rglob("*.py")):
        module = module_name(path)
        imports = imported_modules(path.read_text(), module, path.name == "__init__.py")
        found += [
            f"{module} imports {name}"
            for name in sorted(imports)
            if any(is_within(name, banned) for banned in forbidden)
        ]
    return found


@pytest.mark.parametrize(("package_dir", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_layer_imports_nothing_it_must_not(
    package_dir: str, forbidden: tuple[str, ...], why: str
) -> None:
    assert list((ROOT / package_dir).glob("*.py")), f"no modules under {package_dir}"
    assert violations(package_dir, forbidden) == [], why


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("import marketplace.catalog.indexing", True),
        ("from marketplace.catalog.indexing import offer_facts", True),
        ("from marketplace import catalog", True),
        ("def f():\n    from marketplace.billing import x", True),
        ("from ..catalog import models", True),
        ("from .documents import OfferFacts", False),
        ("from marketplace.catalogue_extra import x", False),
        ("import marketplace.search.documents", False),
    ],
)
def test_the_checker_sees_every_form_of_import(source: str, caught: bool) -> None:
    """Does the checker catch absolute, relative, `from package import module` and late imports?"""
    imports = imported_modules(source, "marketplace.search.sync")
    assert (
        any(
            is_within(n, "marketplace.catalog") or is_within(n, "marketplace.billing")
            for n in imports
        )
        is caught
    )
