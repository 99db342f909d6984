"""Guards that keep the structure of issue 13 true as the code grows (docs/architecture.md, "Guards").

Each guard reads the product's source with ``ast`` (never by importing it; only the list of tenant tables comes
from Django's app registry), so a violation anywhere fails here, function bodies and ``TYPE_CHECKING`` blocks
included:

- direction: ``dext_connections`` ← ``accounts`` ← ``integrations`` ← ``publishing``; the sandbox imports only
  the core and ``integrations``, and the rest of the product reaches the sandbox only through SANDBOX_SEAMS; no
  import cycle among product modules at module level;
- escape hatches: ``.unscoped()`` and raw SQL only in the files of their allowlists, each with its reason;
- raw SQL on a tenant table binds ``business_id`` to a parameter, except the statements of SQL_UNBOUND;
- no product module over MAX_MODULE_LINES lines, except those of LONG_MODULES;
- no provider key literal outside the provider's own package, its sandbox folder and the registry;
- errors by type: a provider error reaches people only through ``application_error``, and no code decides on an
  error's words.

Every checker is a plain function of a file's path and source, and a self-test feeds it a planted violation.
To extend an allowlist, add one line with the reason the exception is safe; an entry whose file no longer needs it
fails too, so the lists stay exact.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("dext_connections", "accounts", "integrations", "publishing")  # lowest first
SANDBOX = "integrations.sandbox"
SANDBOX_MAY_IMPORT = ("dext_connections", "integrations")  # an imitation of the providers: no users, no items
PROVIDER_KEYS = ("xero", "quickbooks_online", "quickbooks_desktop", "bill_com", "approvalmax")
MAX_MODULE_LINES = 500

# ---------------------------------------------------------------- allowlists (path → why it is safe)

# Product modules outside the sandbox that may import it.
SANDBOX_SEAMS = {
    "integrations/sandbox_hooks.py": "the one seam from a provider client to the sandbox's records, imported in the "
    "function body and only when the sandbox app is installed and enabled",
}

UNSCOPED_ALLOWED = {
    "accounts/tenancy.py": "defines unscoped(); bulk_create / bulk_update / create check each row's business first",
    "integrations/services/oauth.py": "an OAuth callback finds its state by the random state value, before any "
    "business is known; the row then names the business",
    "integrations/views.py": "the OAuth callback page finds its state by the state value and the signed-in user",
    "integrations/selectors.py": "beat's sweep over every business's connections (refresh due tokens)",
    "integrations/lists/services.py": "list-sync tasks take a connection id (tasks take ids) and beat finds the "
    "connections due in every business",
    "integrations/qbwc/services.py": "the Web Connector authenticates by ticket and username, not by business; "
    "beat's cleanup of old sessions",
    "integrations/qbwc/credentials.py": "a Web Connector username must be unique across businesses",
    "publishing/worker.py": "workers claim due jobs of one connection whatever its business (the job row names it)",
    "publishing/pipeline.py": "the outbox sweep re-sends expired leases of every business; jobs were just created "
    "for one business's items",
    "publishing/attaching.py": "beat's sweep for attachments nobody is uploading, in every business",
    "publishing/eta.py": "forecasts and limit use of connections whose ids the caller read from its own business "
    "(an item's page, the inbox) or from the clients a practice user reaches (month-end)",
    "publishing/month_end.py": "a practice's month-end spans its clients: every query filters business_id__in the "
    "clients the user reaches (accounts.selectors.practice_clients_reached)",
}

RAW_SQL_ALLOWED = {
    "dext_connections/db.py": "rows_update: one UPDATE … FROM (VALUES …), business_id in its WHERE clause",
    "dext_connections/health.py": "SELECT 1 for /healthz",
    "integrations/tokens.py": "advisory lock serialising a connection's token refresh",
    "integrations/sandbox/counters.py": "the sandbox's rate counters and call slots (no tenant table)",
    "integrations/sandbox/oauth.py": "the sandbox's token check, one query per imitated API call (no tenant table)",
    "publishing/coding.py": "the coding statement (items_recode), set-based for speed",
    "publishing/resolution.py": "integration resolution as the first part of the coding statement",
    "publishing/applying.py": "supplier rules applied by one statement",
    "publishing/selectors.py": "the inbox's tab counts, capped, in one query",
    "publishing/services/bulk.py": "bulk actions on up to 10,000 items, set-based",
    "integrations/ratelimit.py": "Redis pipelines' execute() (the limiter's counters), no SQL",
    "publishing/pipeline.py": "a Redis pipeline's execute() (the drain tokens' time to live), no SQL",
}

# Statements on a tenant table that bind no business_id themselves: (path, function or constant) → why.
SQL_UNBOUND = {
    ("publishing/coding.py", "recode_sql"): "the items come from the resolved CTE, which binds business_id: the "
    "default one in recode_sql itself, or publishing.resolution's _RESOLVED_CTE; list entries are joined by the "
    "ids those items hold",
    ("integrations/sandbox/counters.py", "_increment"): "the sandbox's RateCounter table (no tenant)",
    (
        "integrations/sandbox/oauth.py",
        "_access_query",
    ): "the sandbox's Token, Grant and Organisation tables (no tenant)",
}

LONG_MODULES: dict[str, str] = {}

# Files outside a provider's folders that may name a provider key: path → why.
KEY_LITERALS_ALLOWED = {
    "integrations/providers/registry.py": "the one list of providers",
    "integrations/sandbox/models.py": "the sandbox's own list of the providers it imitates (Provider choices, stored "
    "in its rows and migrations); the rest of the sandbox names them through it",
}


# ---------------------------------------------------------------- reading the tree


def product_files() -> list[Path]:
    files = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclass(frozen=True)
class Source:
    path: str
    text: str

    @property
    def module(self) -> str:
        return module_name(self.path)

    @property
    def is_package(self) -> bool:
        return self.path.endswith("/__init__.py")

    def tree(self) -> ast.Module:
        return ast.parse(self.text, filename=self.path)


def product_sources() -> list[Source]:
    return [Source(rel(p), p.read_text()) for p in product_files()]


@dataclass(frozen=True)
class Import:
    target: str  # dotted name as written (resolved if relative): "a.b" for ``from a import b`` too
    line: int
    module_level: bool  # executed on import: not in a function body, not under ``if TYPE_CHECKING``


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: Source) -> list[Import]:
    """Every import of a file, wherever it is (function bodies, TYPE_CHECKING, ``import_module("…")``)."""
    package = source.module if source.is_package else source.module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            module_level = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, module_level)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, module_level) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend(Import(f"{base}.{alias.name}", node.lineno, module_level) for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(node.args[0].value, node.lineno, module_level))
        for child in ast.iter_child_nodes(node):
            visit(child, module_level)

    visit(source.tree(), True)
    return found


# ---------------------------------------------------------------- a. direction and cycles


def layer_of(module: str) -> int | None:
    top = module.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def direction_violations(source: Source) -> list[str]:
    here = layer_of(source.module)
    in_sandbox = source.module == SANDBOX or source.module.startswith(SANDBOX + ".")
    out = []
    for imp in imports_of(source):
        there = layer_of(imp.target)
        if there is None:
            continue
        where = f"{source.path}:{imp.line} imports {imp.target}"
        if there > here:
            out.append(f"{where} ({LAYERS[here]} may not import {LAYERS[there]})")
        elif in_sandbox and LAYERS[there] not in SANDBOX_MAY_IMPORT:
            out.append(f"{where} (the sandbox imports only {' and '.join(SANDBOX_MAY_IMPORT)})")
        elif (
            not in_sandbox
            and (imp.target == SANDBOX or imp.target.startswith(SANDBOX + "."))
            and source.path not in SANDBOX_SEAMS
        ):
            out.append(f"{where} (the product reaches the sandbox only through SANDBOX_SEAMS)")
    return out


def import_graph(sources: list[Source]) -> dict[str, set[str]]:
    """Module → product modules it imports when it is imported (module level, TYPE_CHECKING excluded)."""
    known = {s.module for s in sources}
    graph: dict[str, set[str]] = {s.module: set() for s in sources}
    for source in sources:
        for imp in imports_of(source):
            if not imp.module_level:
                continue
            target = imp.target
            while target and target not in known:  # ``from a.b import name``: the module a.b
                target = target.rpartition(".")[0]
            if target and target != source.module:
                graph[source.module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


# ---------------------------------------------------------------- b. escape hatches


def unscoped_lines(source: Source) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(source.tree())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "unscoped"
    ]


RAW_CALLS = {"execute", "executemany", "callproc", "cursor", "raw", "extra"}


def raw_sql_lines(source: Source) -> list[int]:
    """Lines that run SQL outside the ORM: ``cursor()``, ``execute*``, ``.raw(``, ``.extra(``, ``RawSQL``."""
    lines = []
    for node in ast.walk(source.tree()):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RAW_CALLS
        named = (
            isinstance(node, ast.Name | ast.Attribute) and getattr(node, "id", getattr(node, "attr", "")) == "RawSQL"
        )
        imported = isinstance(node, ast.alias) and node.name.rpartition(".")[2] == "RawSQL"
        if call or named or imported:
            lines.append(getattr(node, "lineno", 0))
    return sorted(set(lines))


# ---------------------------------------------------------------- c. business_id bound in raw SQL


@dataclass(frozen=True)
class SqlText:
    owner: str  # the function or module-level name the string belongs to
    line: int
    text: str  # f-string parts as written, formatted values as {expression}


_TABLE_AFTER = r"\b(?:from|join|update|into)\s+(?:only\s+)?"
_BOUND = re.compile(r"\bbusiness_id\s*=\s*(?:any\s*\(\s*)?(?:%s|%\(\w+\)s)", re.IGNORECASE)
# A table named by a formatted value, in SQL (upper-case keywords, as all our SQL is written; prose says "from").
_FORMATTED_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(?:ONLY\s+)?\{")


def _render(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(
        part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}" for part in node.values
    )


def sql_texts(source: Source) -> Iterator[SqlText]:
    """Every string of a file (docstrings aside) with the function or assignment it belongs to; an f-string is one
    text, its nested strings are not texts of their own."""

    def visit(node: ast.AST, owner: str) -> Iterator[SqlText]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            owner = node.name if owner == "<module>" else f"{owner}.{node.name}"
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            for child in [*node.decorator_list, *body]:
                yield from visit(child, owner)
            return
        if isinstance(node, ast.Assign | ast.AnnAssign) and owner == "<module>":
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names:
                owner = names[0]
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            yield SqlText(owner, node.lineno, _render(node))
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, owner)

    tree = source.tree()
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    for node in body:
        yield from visit(node, "<module>")


def unbound_sql(source: Source, tenant_tables: set[str], *, runs_sql: bool = True, exceptions=SQL_UNBOUND) -> list[str]:
    """Statements that touch a tenant table without binding business_id to a parameter; in a file that runs SQL
    (``runs_sql``), a table named by a formatted value counts as a tenant table. A string is split into statements
    at semicolons."""
    touching = re.compile(_TABLE_AFTER + r'"?(' + "|".join(sorted(tenant_tables)) + r')"?\b', re.IGNORECASE)
    out = []
    for text in sql_texts(source):
        if (source.path, text.owner) in exceptions:
            continue
        for statement in text.text.split(";"):
            table = touching.search(statement)
            unknown = runs_sql and _FORMATTED_TABLE.search(statement)
            if (table or unknown) and not _BOUND.search(statement):
                what = table.group(1) if table else "a table named by a formatted value"
                out.append(f"{source.path}:{text.line} ({text.owner}) touches {what} without business_id = %s")
    return out


def tenant_tables() -> set[str]:
    """Tables of models that inherit accounts' TenantModel or have a business_id column."""
    from django.apps import apps

    from accounts.tenancy import TenantModel

    tables = set()
    for model in apps.get_models(include_auto_created=True):
        columns = {field.column for field in model._meta.concrete_fields}
        if issubclass(model, TenantModel) or "business_id" in columns:
            tables.add(model._meta.db_table)
    return tables


# ---------------------------------------------------------------- e. provider key literals


def key_literals_allowed(path: str, key: str) -> bool:
    return (
        path.startswith((f"integrations/providers/{key}/", f"integrations/sandbox/{key}/"))
        or path in KEY_LITERALS_ALLOWED
    )


def key_literals(source: Source) -> list[str]:
    out = []
    for node in ast.walk(source.tree()):
        if (
            isinstance(node, ast.Constant)
            and node.value in PROVIDER_KEYS
            and not key_literals_allowed(source.path, node.value)
        ):
            out.append(f"{source.path}:{node.lineno} names {node.value!r}")
    return out


# ---------------------------------------------------------------- errors by type

PROVIDER_ERRORS = {
    "ProviderError",
    "AuthError",
    "CredentialsRefused",
    "RateLimited",
    "OwnLimitReached",
    "ProviderRateLimited",
    "TransientError",
    "ValidationError",
}
# Where provider errors are made and translated among themselves: the providers' packages and their imitation.
ERRORS_MADE_IN = ("integrations/providers/", "integrations/sandbox/")


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    return {node.id} if isinstance(node, ast.Name) else {node.attr} if isinstance(node, ast.Attribute) else set()


def error_mapping_violations(source: Source) -> list[str]:
    """A handler of a provider error that raises something must raise ``application_error(provider, exc)``:
    the one mapping (integrations/providers/errors.py), not a code and sentence of its own."""
    if source.path.startswith(ERRORS_MADE_IN):
        return []
    out = []
    for handler in ast.walk(source.tree()):
        if not (isinstance(handler, ast.ExceptHandler) and _names(handler.type) & PROVIDER_ERRORS):
            continue
        for node in ast.walk(handler):
            if isinstance(node, ast.Raise) and node.exc is not None:
                made = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if _names(made) != {"application_error"}:
                    out.append(f"{source.path}:{node.lineno} maps a provider error itself ({ast.unparse(node.exc)})")
    return out


def message_decisions(source: Source) -> list[str]:
    """Comparisons on an error's words (``"limit" in exc.message``, ``str(exc) == …``): decide on its type."""
    out = []
    for node in ast.walk(source.tree()):
        if not (
            isinstance(node, ast.Compare)
            and any(isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) for op in node.ops)
        ):
            continue
        for operand in [node.left, *node.comparators]:
            while isinstance(operand, ast.Subscript):  # exc.args[0]
                operand = operand.value
            words = isinstance(operand, ast.Attribute) and operand.attr in ("message", "args")
            text = (
                isinstance(operand, ast.Call)
                and isinstance(operand.func, ast.Name)
                and operand.func.id in ("str", "repr")
                and len(operand.args) == 1
                and isinstance(operand.args[0], ast.Name)
                and operand.args[0].id in ("exc", "error", "err", "e")
            )
            if words or text:
                out.append(f"{source.path}:{node.lineno} decides on words: {ast.unparse(node)}")
    return out


# ---------------------------------------------------------------- the guards on today's tree


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return product_sources()


def test_imports_go_one_way(sources):
    violations = [v for source in sources for v in direction_violations(source)]
    assert violations == [], (
        "imports against dext_connections <- accounts <- integrations <- publishing:\n" + "\n".join(violations)
    )


def test_no_import_cycle_at_module_level(sources):
    found = cycles(import_graph(sources))
    assert found == [], "import cycles among product modules:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_sandbox_seams_are_used(sources):
    by_path = {s.path: s for s in sources}
    for path in SANDBOX_SEAMS:
        assert any(imp.target.startswith(SANDBOX) for imp in imports_of(by_path[path])), f"{path} needs no seam"


def test_unscoped_only_where_allowed(sources):
    found = {s.path for s in sources if unscoped_lines(s)}
    assert sorted(found - UNSCOPED_ALLOWED.keys()) == [], "unscoped() outside UNSCOPED_ALLOWED (add it with a reason)"
    assert sorted(UNSCOPED_ALLOWED.keys() - found) == [], "UNSCOPED_ALLOWED lists files that no longer need it"


def test_raw_sql_only_where_allowed(sources):
    found = {s.path for s in sources if raw_sql_lines(s)}
    assert sorted(found - RAW_SQL_ALLOWED.keys()) == [], "raw SQL outside RAW_SQL_ALLOWED (add it with a reason)"
    assert sorted(RAW_SQL_ALLOWED.keys() - found) == [], "RAW_SQL_ALLOWED lists files that no longer need it"


def test_raw_sql_on_tenant_tables_binds_business_id(sources):
    tables = tenant_tables()
    assert {"publishing_item", "integrations_connection", "integrations_listentry"} <= tables
    violations = [v for s in sources for v in unbound_sql(s, tables, runs_sql=s.path in RAW_SQL_ALLOWED)]
    assert violations == [], "\n".join(violations)
    # Not vacuous: the guard reads the statements of the bulk actions, coding and rules (13 strings today).
    touching = re.compile(_TABLE_AFTER + "(" + "|".join(sorted(tables)) + ")", re.IGNORECASE)
    read = {s.path for s in sources for text in sql_texts(s) if touching.search(text.text)}
    assert {"publishing/services/bulk.py", "publishing/coding.py", "publishing/applying.py"} <= read


def test_sql_exceptions_are_real(sources):
    """Each SQL_UNBOUND entry names a statement that exists and would fail the guard without it."""
    tables = tenant_tables()
    by_path = {s.path: s for s in sources}
    for path, owner in SQL_UNBOUND:
        violations = unbound_sql(by_path[path], tables, runs_sql=path in RAW_SQL_ALLOWED, exceptions={})
        assert any(f"({owner})" in v for v in violations), f"SQL_UNBOUND: {path} {owner} needs no exception"


def long_modules(sources: list[Source]) -> dict[str, int]:
    return {s.path: len(s.text.splitlines()) for s in sources if len(s.text.splitlines()) > MAX_MODULE_LINES}


def test_modules_stay_small(sources):
    long = long_modules(sources)
    assert sorted(long.keys() - LONG_MODULES.keys()) == [], f"modules over {MAX_MODULE_LINES} lines: {long}"
    assert sorted(LONG_MODULES.keys() - long.keys()) == [], "LONG_MODULES lists modules that are short again"


def test_no_provider_key_literal_outside_its_package(sources):
    violations = [v for s in sources for v in key_literals(s)]
    assert violations == [], "provider keys belong to their package and the registry:\n" + "\n".join(violations)


def test_provider_errors_reach_people_through_the_one_mapping(sources):
    violations = [v for s in sources for v in error_mapping_violations(s)]
    assert violations == [], "\n".join(violations)


def test_no_decision_on_an_errors_words(sources):
    violations = [v for s in sources for v in message_decisions(s)]
    assert violations == [], "\n".join(violations)


def test_allowlisted_files_exist():
    for allowlist in (SANDBOX_SEAMS, UNSCOPED_ALLOWED, RAW_SQL_ALLOWED, LONG_MODULES, KEY_LITERALS_ALLOWED):
        for path in allowlist:
            assert (ROOT / path).is_file(), path
    for path, _ in SQL_UNBOUND:
        assert (ROOT / path).is_file(), path


# ---------------------------------------------------------------- self-tests: each guard catches a planted violation


def planted(path: str, text: str) -> Source:
    return Source(path, text)


@pytest.mark.parametrize(
    "path, text",
    [
        ("accounts/x.py", "from integrations.models import Connection\n"),
        ("accounts/x.py", "def f():\n    from publishing import services\n"),
        ("integrations/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import publishing.models\n"),
        ("dext_connections/x.py", "import importlib\nm = importlib.import_module('accounts.models')\n"),
        ("integrations/services/x.py", "from ...publishing import models\n"),
        ("integrations/sandbox/x.py", "def f():\n    from publishing.models import Item\n"),
        ("integrations/sandbox/xero/x.py", "from accounts.models import Business\n"),
        ("integrations/x.py", "from integrations.sandbox.services import record_document\n"),
    ],
)
def test_direction_guard_catches(path, text):
    assert direction_violations(planted(path, text))


def test_direction_guard_lets_downward_imports_pass():
    source = planted(
        "publishing/services/x.py",
        "from accounts.models import Business\nfrom ..models import Item\nfrom integrations import events\n"
        "from integrations.sandbox import clock\n",
    )
    # Publishing may import anything below it; only the sandbox seam rule applies to integrations' own modules.
    assert [v for v in direction_violations(source) if "sandbox" not in v] == []
    assert direction_violations(planted("integrations/sandbox/y.py", "from integrations import models\n")) == []


def test_relative_imports_resolve():
    source = planted(
        "publishing/services/items.py", "from . import bulk\nfrom ..models import Item\nfrom .. import x\n"
    )
    assert [i.target for i in imports_of(source)] == [
        "publishing.services.bulk",
        "publishing.models.Item",
        "publishing.x",
    ]


def test_cycle_guard_catches_a_cycle_but_not_a_function_body_import():
    a = planted("publishing/a.py", "from publishing.b import thing\n")
    b = planted("publishing/b.py", "import publishing.c\n")
    c = planted("publishing/c.py", "from publishing import a\n")
    assert cycles(import_graph([a, b, c])) == [["publishing.a", "publishing.b", "publishing.c"]]
    c_late = planted("publishing/c.py", "def f():\n    from publishing import a\n")
    assert cycles(import_graph([a, b, c_late])) == []
    c_typing = planted("publishing/c.py", "if TYPE_CHECKING:\n    from publishing import a\n")
    assert cycles(import_graph([a, b, c_typing])) == []


@pytest.mark.parametrize(
    "text",
    [
        "from django.db import connection\nwith connection.cursor() as c:\n    pass\n",
        "def f(cursor):\n    cursor.execute('SELECT 1')\n",
        "Item.objects.raw('SELECT * FROM publishing_item')\n",
        "Item.objects.extra(where=['true'])\n",
        "from django.db.models.expressions import RawSQL\n",
        "qs.annotate(x=expressions.RawSQL('1', []))\n",
    ],
)
def test_raw_sql_guard_catches(text):
    assert raw_sql_lines(planted("publishing/x.py", text))


def test_unscoped_guard_catches():
    assert unscoped_lines(planted("publishing/x.py", "Item.objects.unscoped().filter(pk=1)\n")) == [1]
    assert unscoped_lines(planted("publishing/x.py", "Item.objects.for_business(b)\n# .unscoped()\n")) == []


TABLES = {"publishing_item", "publishing_itemhistory"}


@pytest.mark.parametrize(
    "text",
    [
        'SQL = "UPDATE publishing_item SET state = %s WHERE id = %s"\n',
        "def f(cursor):\n    cursor.execute('SELECT id FROM publishing_item WHERE business_id = 3')\n",
        'SQL = """SELECT 1 FROM publishing_item WHERE business_id = %(b)s; DELETE FROM publishing_item"""\n',
        'def f(table):\n    return f"DELETE FROM {table} WHERE id = %s"\n',
        "SQL = 'INSERT INTO \"publishing_itemhistory\" (item_id) VALUES (%s)'\n",
    ],
)
def test_business_id_guard_catches(text):
    assert unbound_sql(planted("publishing/x.py", text), TABLES)


@pytest.mark.parametrize(
    "text",
    [
        'SQL = "UPDATE publishing_item SET state = %s WHERE business_id = %s AND id = %s"\n',
        'SQL = f"SELECT 1 FROM publishing_item i WHERE i.business_id = %(business)s AND i.state IN ({states})"\n',
        'SQL = "SELECT 1 FROM publishing_item WHERE business_id = ANY(%(businesses)s)"\n',
        'SQL = "SELECT 1 FROM sandbox_token WHERE value = %s"\n',
        'def f():\n    """Reads FROM publishing_item, in prose."""\n',
    ],
)
def test_business_id_guard_lets_bound_statements_pass(text):
    assert unbound_sql(planted("publishing/x.py", text), TABLES) == []


def test_business_id_guard_reads_formatted_tables_only_where_sql_runs():
    text = 'def f(table):\n    return f"UPDATE {table} SET x = 1"\n'
    assert unbound_sql(planted("publishing/x.py", text), TABLES, runs_sql=True)
    assert unbound_sql(planted("publishing/x.py", text), TABLES, runs_sql=False) == []
    prose = 'def f(ledger):\n    return f"Choose a category from {ledger}\'s list."\n'
    assert unbound_sql(planted("publishing/x.py", prose), TABLES, runs_sql=True) == []


def test_business_id_guard_names_the_owner():
    text = "def items_touch(cursor):\n    cursor.execute('UPDATE publishing_item SET state = %s')\n"
    (violation,) = unbound_sql(planted("publishing/x.py", text), TABLES)
    assert "(items_touch)" in violation


def test_key_literal_guard_catches():
    text = 'def f(c):\n    return c.provider == "xero"  # a comment naming bill_com is fine\n'
    assert key_literals(planted("publishing/views/x.py", text)) == ["publishing/views/x.py:2 names 'xero'"]
    assert key_literals(planted("integrations/providers/bill_com/x.py", "K = 'xero'\n"))
    assert key_literals(planted("integrations/providers/xero/x.py", "K = 'xero'\n")) == []
    assert key_literals(planted("integrations/sandbox/xero/x.py", "K = 'xero'\n")) == []
    assert key_literals(planted("publishing/x.py", '"""Xero, or xero\'s lists."""\nK = "xero_tenant"\n')) == []


def test_size_guard_counts_lines():
    short = planted("publishing/a.py", "x = 1\n" * MAX_MODULE_LINES)
    long = planted("publishing/b.py", "x = 1\n" * (MAX_MODULE_LINES + 1))
    assert long_modules([short, long]) == {"publishing/b.py": MAX_MODULE_LINES + 1}


def test_error_mapping_guard_catches_a_mapping_of_its_own():
    text = (
        "def connect(provider):\n"
        "    try:\n"
        "        provider.connect_with_credentials(credentials={})\n"
        "    except (CredentialsRefused, base.TransientError) as exc:\n"
        "        raise ApplicationError('invalid_credentials', exc.message) from None\n"
    )
    assert error_mapping_violations(planted("integrations/services/x.py", text))
    mapped = text.replace("ApplicationError('invalid_credentials', exc.message)", "application_error(provider, exc)")
    assert error_mapping_violations(planted("integrations/services/x.py", mapped)) == []
    recorded = text.replace("raise ApplicationError('invalid_credentials', exc.message) from None", "return None")
    assert error_mapping_violations(planted("integrations/services/x.py", recorded)) == []  # no raise: no mapping
    # A provider's client translates among the taxonomy's own types.
    assert error_mapping_violations(planted("integrations/providers/xero/client.py", text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "if 'Our own limit' in error.message:\n    retry()\n",
        "retry = exc.message == 'rate limited'\n",
        "if 'timeout' in str(exc):\n    retry()\n",
        "if exc.args[0] == 'x':\n    pass\n",
    ],
)
def test_message_guard_catches(text):
    assert message_decisions(planted("publishing/worker.py", text))


def test_message_guard_lets_types_and_codes_pass():
    text = "if isinstance(exc, OwnLimitReached) or exc.code == 'not_found':\n    pass\nlog(exc.message)\n"
    assert message_decisions(planted("publishing/worker.py", text)) == []
