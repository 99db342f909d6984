"""The templates are ready for a strict Content-Security-Policy (script-src 'self'; style-src 'self'): no
inline <script> or <style>, no style="" attributes, no on*="" handlers, no hx-on, no javascript: URLs.
Behaviour lives in static/js/, looks in static/css/. The browser tests (tests/e2e/csp.py) put the policy on
every page they check; this catches the same mistakes without a browser."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

FORBIDDEN = {
    "an inline <script> (load a file from static/js/ with src)": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "a <style> block (put the rules in static/css/)": re.compile(r"<style[\s>]", re.I),
    'a style="" attribute (use a class)': re.compile(r"\sstyle\s*=", re.I),
    'an on*="" handler (listen in static/js/)': re.compile(r"\son[a-z]+\s*=", re.I),
    "an hx-on attribute (listen in static/js/)": re.compile(r"\shx-on[:\-]", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_has_no_inline_script_or_style(path):
    text = path.read_text()
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{path.relative_to(ROOT)} has {', '.join(found)}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_comments_are_closed_on_their_line(path):
    """Django shows a {# … #} comment that spans lines as text on the page ({% comment %} spans lines)."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for opened in re.finditer(r"\{#", line):
            assert "#}" in line[opened.end() :], f"{path.relative_to(ROOT)}:{number} has a {{# comment over lines"


def test_base_turns_off_htmx_injected_styles():
    html = (ROOT / "templates" / "base.html").read_text()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in html
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "app.css").read_text()
