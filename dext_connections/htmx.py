"""What a page's htmx answers tell the browser besides their HTML."""

import json

from django.http import HttpResponse

ANNOUNCE_EVENT = "announce"


def announce(response: HttpResponse, message: str) -> HttpResponse:
    """Have the page read ``message`` out through its live region (``#live-status``, filled by static/js/app.js).

    Sent as an ``HX-Trigger`` event; JSON with ASCII escapes keeps any name in the message a valid header value.
    """
    response["HX-Trigger"] = json.dumps({ANNOUNCE_EVENT: message}, ensure_ascii=True)
    return response
