"""axe-core in the browser tests: ``assert_accessible(page, name)`` fails on any WCAG 2.1 A/AA violation.

axe-core (MPL-2.0, Deque Systems) comes bundled in the ``axe-playwright-python`` package (MIT); it is
injected into the page under test, run against the whole document and its result read back. No rule
is switched off: a page either has no violation of these rule sets or the test fails, naming each one.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_OPTIONS = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
_axe = Axe()


def axe_violations(page) -> list[dict]:
    """Every violation axe finds in the page as it is now (rules tagged WCAG 2.0/2.1 A and AA only)."""
    # Let htmx settle first: a swap half done is not what a person sees.
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    return _axe.run(page, options=_OPTIONS).response["violations"]


def format_violations(violations: list[dict]) -> str:
    """One block per rule: id, impact, help (and its link), then each failing element's selector and reason."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}  <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(" >>> ".join(t) if isinstance(t, list) else t for t in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_accessible(page, name: str) -> None:
    """Fail with a readable list when the current page has any WCAG 2.1 A/AA violation.

    ``name`` says which page or state this was (it heads the failure message).
    """
    violations = axe_violations(page)
    if violations:
        count = sum(len(v["nodes"]) for v in violations)
        raise AssertionError(
            f"{name} ({page.url}): {len(violations)} axe rule(s) violated on {count} element(s)\n"
            + format_violations(violations)
        )
