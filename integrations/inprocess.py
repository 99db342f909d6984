"""Serve provider HTTP from this process's own URL stack (the sandbox), without a network.

Used by the demo seeder (which connects Acme to the sandbox through the real OAuth flow before any
server runs) and by tests. Django closes database connections at the start and end of every
request; inside a caller's transaction that would end it, so (as Django's test client does) those
signals are held back while the in-process request runs, and the body is buffered before they
come back.
"""

from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx


class InProcessProvider:
    """A WSGI app for httpx.WSGITransport that answers from our own URL stack."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        started = request_started.disconnect(close_old_connections)
        finished = request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            if getattr(response, "answer_lost", False):  # the sandbox's lost_answer fault: the work is done
                response.close()
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            body = b"".join(response)
            response.close()
        finally:
            if started:
                request_started.connect(close_old_connections)
            if finished:
                request_finished.connect(close_old_connections)
        return [body]


def transport() -> httpx.WSGITransport:
    return httpx.WSGITransport(app=InProcessProvider())


@contextmanager
def provider_http_in_process():
    """Route every provider call of this block into the sandbox, in this process."""
    from integrations import http

    http.set_transport(transport())
    try:
        yield
    finally:
        http.set_transport(None)


def press_allow_access(authorize_url: str, *, organisations: int = 1) -> dict:
    """What a person does on the sandbox's consent page: open it and press Allow access.

    Answers the query parameters of the redirect back to the product (``code``, ``state``…).
    """
    parts = urlsplit(authorize_url)
    with httpx.Client(transport=transport(), base_url=f"{parts.scheme}://{parts.netloc}") as browser:
        page = browser.get(f"{parts.path}?{parts.query}")
        page.raise_for_status()
        form = dict(parse_qsl(parts.query)) | {"decision": "allow", "sandbox_orgs": str(organisations)}
        answer = browser.post(
            parts.path, content=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    if answer.status_code != 302:
        raise RuntimeError(f"The sandbox consent page answered {answer.status_code}.")
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))
