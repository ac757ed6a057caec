"""House rules that hold the services apart, checked on the source in ``make lint`` (and ``make test``).

* no service imports another service;
* ``domain`` modules import no SQLAlchemy, FastAPI, Starlette or aiokafka — not even through our own
  modules (an import of ``govmedia_common.x`` that pulls FastAPI in counts);
* ``service`` modules import nothing HTTP (FastAPI, Starlette, problem documents, If-Match helpers);
* the libraries (``govmedia_common``, ``govmedia_checks``) import no service.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

# ---- the import graph of our own packages, read from the source (nothing is imported or run)

REPO = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = sorted([*REPO.glob("libs/*/src"), *REPO.glob("services/*/src")])


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. govmedia_review.domain.posts
    path: Path

    @property
    def package(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_domain(self) -> bool:
        """A domain module: ``…domain`` (file or package) anywhere in a service package, or inside one."""
        parts = self.name.split(".")
        return self.package.startswith("govmedia_") and "domain" in parts[1:]


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module an import statement names (absolute), skipping ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (name for child in node.orelse for name in _imports(child, module, is_package))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)  # may name submodules
        else:
            yield from _imports(node, module, is_package)


class Graph:
    """First-party modules and what each imports directly."""

    def __init__(self, roots: list[Path] = SOURCE_ROOTS) -> None:
        self.modules: dict[str, Module] = {}
        for root in roots:
            for path in root.rglob("*.py"):
                module = Module(_module_name(root, path), path)
                self.modules[module.name] = module

    @cached_property
    def edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = {}
        for name, module in self.modules.items():
            tree = ast.parse(module.path.read_text(encoding="utf-8"))
            edges[name] = set(_imports(tree, name, module.path.name == "__init__.py"))
        return edges

    def first_party(self, target: str) -> list[str]:
        """The first-party modules an import of ``target`` executes: the module and its parent packages."""
        parts = target.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in self.modules]

    def external(self, name: str) -> set[str]:
        """Top-level names of the third-party (or other) packages a module imports directly."""
        return {t.split(".")[0] for t in self.edges[name] if not self.first_party(t)}

    def chain_to(self, start: str, forbidden: set[str]) -> list[str] | None:
        """The shortest import chain from ``start`` to a module importing one of ``forbidden``, if any."""
        seen = {start}
        queue: list[list[str]] = [[start]]
        while queue:
            path = queue.pop(0)
            hit = self.external(path[-1]) & forbidden
            if hit:
                return [*path, sorted(hit)[0]]
            for target in sorted(self.edges[path[-1]]):
                for module in self.first_party(target):
                    if module not in seen:
                        seen.add(module)
                        queue.append([*path, module])
        return None


# ---- the rules


GRAPH = Graph()
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "src").is_dir())
SERVICE_PACKAGES = {f"govmedia_{s}" for s in SERVICES}
LIBRARY_PACKAGES = {"govmedia_common", "govmedia_checks"}
FRAMEWORKS = {"sqlalchemy", "fastapi", "starlette", "aiokafka", "asyncpg", "alembic"}


def test_the_graph_sees_every_package_and_the_domain_modules() -> None:
    packages = {m.package for m in GRAPH.modules.values()}
    assert packages >= SERVICE_PACKAGES | LIBRARY_PACKAGES
    assert "govmedia_review.domain" in GRAPH.modules or "govmedia_review.domain.posts" in GRAPH.modules


@pytest.mark.parametrize("service", sorted(SERVICE_PACKAGES))
def test_no_service_imports_another_service(service: str) -> None:
    offences = [
        f"{name} imports {target}"
        for name, module in GRAPH.modules.items()
        if module.package == service
        for target in GRAPH.edges[name]
        if target.split(".")[0] in SERVICE_PACKAGES - {service}
    ]
    assert not offences, "services learn from events and HTTP, never from each other's code:\n" + "\n".join(
        offences
    )


def test_domain_modules_import_no_framework_directly_or_through_our_modules() -> None:
    domain = sorted(name for name, module in GRAPH.modules.items() if module.is_domain)
    assert domain, "no domain module found"
    chains = [chain for name in domain if (chain := GRAPH.chain_to(name, FRAMEWORKS))]
    assert not chains, "domain modules are plain Python:\n" + "\n".join(" → ".join(c) for c in chains)


HTTP_MODULES = {"fastapi", "starlette", "govmedia_common.problems", "govmedia_common.concurrency"}


def test_service_modules_know_no_http_they_raise_domain_errors() -> None:
    """Status codes, problem documents and If-Match belong to api.py; a use case raises DomainError."""
    offences = [
        f"{name} imports {target}"
        for name, module in GRAPH.modules.items()
        if module.package in SERVICE_PACKAGES and name.rsplit(".", 1)[-1] == "service"
        for target in GRAPH.edges[name]
        if any(target == http or target.startswith(f"{http}.") for http in HTTP_MODULES)
    ]
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("library", sorted(LIBRARY_PACKAGES))
def test_the_libraries_import_no_service(library: str) -> None:
    offences = [
        f"{name} imports {target}"
        for name, module in GRAPH.modules.items()
        if module.package == library
        for target in GRAPH.edges[name]
        if target.split(".")[0] in SERVICE_PACKAGES
    ]
    assert not offences, "\n".join(offences)


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    """The checker itself can fail: a domain module importing SQLAlchemy through a helper is reported."""
    pkg = tmp_path / "govmedia_probe"
    (pkg / "domain").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "domain" / "__init__.py").write_text("from govmedia_probe.domain.rules import rule\n")
    (pkg / "domain" / "rules.py").write_text("from ..helpers import load\n\ndef rule() -> None: ...\n")
    (pkg / "helpers.py").write_text("from typing import TYPE_CHECKING\nimport sqlalchemy\n")
    (pkg / "typed.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fastapi\n")
    graph = Graph([tmp_path])
    assert graph.chain_to("govmedia_probe.domain", FRAMEWORKS) == [
        "govmedia_probe.domain",
        "govmedia_probe.domain.rules",
        "govmedia_probe.helpers",
        "sqlalchemy",
    ]
    assert graph.chain_to("govmedia_probe.typed", FRAMEWORKS) is None  # type-only imports do not run
