"""What Chromium refuses under the Content-Security-Policy the app sends (dext_connections.middleware).

``watch_csp(page)`` collects Chromium's refusals while a test walks the pages, so a test shows that each page works
under the real, strict policy (no inline script or style) and that every document carries it.
"""

from __future__ import annotations


def watch_csp(page) -> list[str]:
    """The (live) list of Chromium's CSP refusals on ``page``; every HTML page it loads must carry a policy."""
    refused: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def on_response(response):
        headers = response.all_headers()
        is_page = response.request.resource_type == "document" and response.status < 300
        # HTML pages; Chromium's PDF viewer hands Playwright a PDF frame's answer without its headers.
        if is_page and "text/html" in headers.get("content-type", "") and "content-security-policy" not in headers:
            refused.append(f"no Content-Security-Policy on {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return refused
