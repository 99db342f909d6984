"""docs/architecture.md names real places: every file, and every function or class it names in a file, exists.

In the tables, a backticked path (``publishing/coding.py``) is followed by the names it holds (``item_problems``,
``TenantManager.for_business``) until the next path or ``;``. Anywhere on the page, a backticked dotted name that
starts with a layer (``publishing.pipeline.items_publish``) is a module, or a module and a name defined in it.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
LAYERS = ("dext_connections", "accounts", "integrations", "publishing")
IDENTIFIER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
DOTTED = re.compile(r"^(" + "|".join(LAYERS) + r")(\.\w+)+$")


@cache
def defined_names(path: Path) -> frozenset[str]:
    """Top-level functions, classes and assignments of a file, and ``Class.member`` for its classes' members."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(f"{node.name}.{member.name}")
                elif isinstance(member, ast.Assign | ast.AnnAssign):
                    targets = member.targets if isinstance(member, ast.Assign) else [member.target]
                    names.update(f"{node.name}.{t.id}" for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def table_references(text: str) -> list[tuple[str, str | None]]:
    """(path, name or None) for every path in the tables' cells and the names that follow it."""
    found: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " "}:
            continue
        for cell in line.strip("|").split("|"):
            for part in cell.split(";"):
                path = None
                for token in re.findall(r"`([^`]+)`", part):
                    if "/" in token:
                        path = None if "<" in token else token
                        if path:
                            found.append((path, None))
                    elif path and path.endswith(".py") and IDENTIFIER.match(token):
                        found.append((path, token))
    return found


def dotted_references(text: str) -> list[str]:
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("```"))  # fences are no code spans
    return [token for token in re.findall(r"`([^`]+)`", prose) if DOTTED.match(token)]


def module_path(dotted: str) -> tuple[Path | None, str]:
    """The longest prefix of ``dotted`` that is a module or package, and the rest (a name in it, or "")."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate, ".".join(parts[end:])
    return None, dotted


def reference_problems(text: str) -> list[str]:
    problems = []
    for path, name in table_references(text):
        target = ROOT / path
        if not target.exists():
            problems.append(f"{path} does not exist")
        elif name is not None and name not in defined_names(target):
            problems.append(f"{path} has no {name}")
    for dotted in dotted_references(text):
        target, rest = module_path(dotted)
        if target is None:
            problems.append(f"no module for {dotted}")
        elif rest and rest not in defined_names(target):
            problems.append(f"{dotted}: {target.relative_to(ROOT)} has no {rest}")
    return problems


def test_architecture_page_names_real_files_and_functions():
    text = DOC.read_text()
    assert len(table_references(text)) > 30 and len(dotted_references(text)) > 5  # the parser still reads the page
    assert reference_problems(text) == []


@pytest.mark.parametrize(
    "row",
    [
        "| rule | `publishing/coding.py` · `no_such_function` |",
        "| rule | `publishing/nowhere.py` · `items_recode` |",
        "| rule | `accounts/tenancy.py` (`TenantManager.no_such_method`) |",
        "| rule | `publishing/coding.py` · `item_problems`; `publishing/worker.py` · `item_problems` |",
        "A publish starts at `publishing.pipeline.no_such_service`.",
        "Workers are in `publishing.no_such_module`.",
    ],
)
def test_a_stale_reference_is_caught(row):
    assert reference_problems(row)


def test_real_references_pass():
    row = (
        "| rule | `accounts/tenancy.py` (`TenantManager.for_business`); `publishing/coding.py` · `recode_sql`, "
        "`item_problems`; `integrations/providers/<key>/` |\n"
        "`publishing.pipeline.items_publish`, `integrations.ratelimit`"
    )
    assert reference_problems(row) == []
