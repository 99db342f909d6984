"""The strict Content-Security-Policy the product is meant to send, put on pages by the browser tests.

The app does not send it yet; ``enforce_csp(page)`` adds it to every document the page loads (a Playwright
route) and collects what Chromium refuses, so a test can show that the pages work without inline script
or style. ``ATTACHMENT_FRAME_ANCESTORS`` is the one exception the app needs: the item page embeds the
attachment view, which must let its own origin frame it.
"""

from __future__ import annotations

import re

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ATTACHMENT_FRAME_ANCESTORS = "frame-ancestors 'self'"
_ATTACHMENT = re.compile(r"/b/[0-9a-f-]+/items/[0-9a-f-]+/attachment/$")


def _policy_for(url: str) -> str:
    if _ATTACHMENT.search(url.split("?", 1)[0]):
        return POLICY.replace("frame-ancestors 'none'", ATTACHMENT_FRAME_ANCESTORS)
    return POLICY


def enforce_csp(page) -> list[str]:
    """Serve every document of ``page`` with ``POLICY``; returns the (live) list of Chromium's refusals."""
    refused: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def on_route(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        # Redirects are handed back to the browser as they are (it follows them itself, cookies included).
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "content-security-policy": _policy_for(route.request.url)}
        route.fulfill(response=response, headers=headers)

    page.on("console", on_console)
    page.route("**/*", on_route)
    return refused
