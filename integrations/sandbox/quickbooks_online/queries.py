"""QuickBooks Online's query language, the subset the product uses: ``select * | count(*) from <entity>``, ``=``,
``like`` and ``in`` joined by ``and``, ``orderby``, ``STARTPOSITION``, ``MAXRESULTS``."""

import re

from integrations.sandbox.quickbooks_online.api import Call, qbo_time, query_error
from integrations.sandbox.quickbooks_online.constants import QUERYABLE
from integrations.sandbox.quickbooks_online.reference import entity_rows

_QUERY = re.compile(
    r"^\s*select\s+(?P<columns>\*|count\(\*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


_QUOTED = r"'(?:[^'\\]|\\.)*'"


_CONDITION = re.compile(
    rf"\s*(?P<field>[\w.]+)\s*(?P<op>=|\blike\b|\bin\b)\s*(?P<value>{_QUOTED}|\(\s*{_QUOTED}(?:\s*,\s*{_QUOTED})*\s*\)|[\w.-]+)\s*",
    re.IGNORECASE,
)


_AND = re.compile(r"\s*\band\b\s*", re.IGNORECASE)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1]) if text.startswith("'") else text


def _conditions(where: str) -> list[tuple[str, str, object]]:
    conditions, position = [], 0
    while True:
        match = _CONDITION.match(where, position)
        if not match:
            raise query_error(f"cannot read the condition at “{where[position:]}”")
        op, value = match.group("op").lower(), match.group("value")
        value = [_unquote(v) for v in re.findall(_QUOTED, value)] if op == "in" else _unquote(value)
        conditions.append((match.group("field"), op, value))
        position = match.end()
        if position >= len(where):
            return conditions
        joined = _AND.match(where, position)
        if not joined:
            raise query_error(f"expected AND at “{where[position:]}”")
        position = joined.end()


def _value(row: dict, path: str):
    value = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _matches(row: dict, conditions) -> bool:
    for path, op, wanted in conditions:
        value = _value(row, path)
        if value is None:
            return False
        if op == "=" and value.casefold() != wanted.casefold():
            return False
        if op == "in" and value.casefold() not in {w.casefold() for w in wanted}:
            return False
        if op == "like":
            pattern = "".join(".*" if c == "%" else re.escape(c) for c in wanted)
            if not re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL):
                return False
    return True


def query(*, call: Call, statement: str) -> dict:
    match = _QUERY.match(statement or "")
    if not match:
        raise query_error(f"cannot read “{statement}”")
    entity = QUERYABLE.get(match.group("entity").lower())
    if entity is None:
        raise query_error(f"invalid entity {match.group('entity')}")
    rows = entity_rows(call.organisation, entity)
    if match.group("where"):
        conditions = _conditions(match.group("where"))
        rows = [row for row in rows if _matches(row, conditions)]
    if match.group("columns").lower() == "count(*)":
        return {"QueryResponse": {"totalCount": len(rows)}, "time": qbo_time()}
    if match.group("order"):
        rows.sort(
            key=lambda r: _value(r, match.group("order")) or "",
            reverse=(match.group("direction") or "").lower() == "desc",
        )
    start = max(int(match.group("start") or 1), 1)
    size = min(int(match.group("max") or 100), 1000)
    rows = rows[start - 1 : start - 1 + size]
    if not rows:
        return {"QueryResponse": {}, "time": qbo_time()}
    return {"QueryResponse": {entity: rows, "startPosition": start, "maxResults": len(rows)}, "time": qbo_time()}
