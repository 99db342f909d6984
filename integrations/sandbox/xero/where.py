"""Xero's ``where`` filter (clauses ``Path=="text"``, ``Path==Guid("…")``, ``Path==true``, joined by ``&&`` or
``AND``) and its pages."""

import re

from integrations.sandbox.xero.api import bad_request
from integrations.sandbox.xero.constants import PAGE_SIZE

_CLAUSE = re.compile(
    r'\s*(?P<path>[A-Za-z][\w.]*)\s*==\s*(?:"(?P<text>(?:[^"\\]|\\.)*)"|Guid\("(?P<guid>[^"]*)"\)|(?P<bool>true|false))\s*',
    re.IGNORECASE,
)


_JOIN = re.compile(r"\s*(?:&&|\bAND\b)\s*", re.IGNORECASE)


def _where_parse(where: str) -> list[tuple[list[str], object]]:
    clauses, position = [], 0
    while True:
        match = _CLAUSE.match(where, position)
        if not match:
            raise bad_request("QueryParseException", 16, f"Unsupported where clause: {where}")
        if match.group("text") is not None:
            value = re.sub(r"\\(.)", r"\1", match.group("text"))
        elif match.group("guid") is not None:
            value = match.group("guid")
        else:
            value = match.group("bool").lower() == "true"
        clauses.append((match.group("path").split("."), value))
        position = match.end()
        if position >= len(where):
            return clauses
        join = _JOIN.match(where, position)
        if not join:
            raise bad_request("QueryParseException", 16, f"Unsupported where clause: {where}")
        position = join.end()


def _field(item: dict, path: list[str]):
    value = item
    for part in path:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value


def filtered(items: list[dict], where: str | None) -> list[dict]:
    if not where:
        return items
    clauses = _where_parse(where)

    def matches(item: dict) -> bool:
        for path, wanted in clauses:
            value = _field(item, path)
            if isinstance(wanted, bool):
                if value is not wanted:
                    return False
            elif not isinstance(value, str) or value.casefold() != wanted.casefold():
                return False
        return True

    return [item for item in items if matches(item)]


def paged(items: list, page: str | None) -> list:
    if not page:
        return items
    try:
        number_ = max(int(page), 1)
    except ValueError:
        return items
    return items[(number_ - 1) * PAGE_SIZE : number_ * PAGE_SIZE]
