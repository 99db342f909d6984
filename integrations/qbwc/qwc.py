"""The ``.qwc`` file the user adds to the Web Connector: where to poll, as whom, how often."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponse
from lxml import etree

from integrations.qbwc.soap import endpoint_url
from integrations.qbwc.xmlsafe import clean_text

if TYPE_CHECKING:
    from integrations.models import Connection

APP_NAME = "Dext Connections"
RUN_EVERY_N_MINUTES = 5


def render_qwc(*, connection: Connection, app_url: str | None = None, support_url: str | None = None) -> str:
    """The ``.qwc`` XML for a QuickBooks Desktop connection made with ``credentials.py``'s details.

    ``app_url`` defaults to the SOAP endpoint under ``settings.SITE_URL``; ``support_url`` to the
    site itself. The Web Connector accepts only ``https`` URLs (``http`` for ``localhost`` alone), and
    the support URL must be on the same host as the app URL.
    """
    credentials = connection.credentials or {}
    missing = [key for key in ("username", "owner_id", "file_id") if not credentials.get(key)]
    if missing:
        raise ValueError(f"The connection has no Web Connector {', '.join(missing)}.")
    business_name = connection.business.name
    fields = [
        # The Web Connector keys applications by name: a bookkeeper's PC may serve several businesses.
        ("AppName", f"{APP_NAME} - {business_name}"),
        ("AppID", ""),
        ("AppURL", app_url or endpoint_url()),
        ("AppDescription", f"Publishes costs and sales from {APP_NAME} to QuickBooks for {business_name}."),
        ("AppSupport", support_url or f"{settings.SITE_URL}/"),
        ("UserName", credentials["username"]),
        ("OwnerID", credentials["owner_id"]),
        ("FileID", credentials["file_id"]),
        ("QBType", "QBFS"),
    ]
    root = etree.Element("QBWCXML")
    for tag, text in fields:
        etree.SubElement(root, tag).text = clean_text(text)
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(RUN_EVERY_N_MINUTES)
    etree.SubElement(root, "IsReadOnly").text = "false"
    return '<?xml version="1.0"?>\n' + etree.tostring(root, encoding="unicode", pretty_print=True)


def qwc_download_response(*, connection: Connection) -> HttpResponse:
    """The ``.qwc`` file as a download (the caller checks that the user may see this connection)."""
    slug = re.sub(r"[^a-z0-9]+", "-", connection.business.name.lower()).strip("-")[:40] or "business"
    response = HttpResponse(render_qwc(connection=connection), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-quickbooks-desktop.qwc"'
    return response
