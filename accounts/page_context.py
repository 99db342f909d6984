"""What higher apps add to accounts' page context, without accounts importing them.

Accounts draws the frame of every page: the organisation and client switcher (a context processor)
and the page of one business (:class:`accounts.mixins.BusinessViewMixin`). Some of what the frame
shows belongs to a higher app — the client switcher's connection status, the banner of a connection
that needs reconnecting — so that app registers a contributor once, at start-up::

    # integrations/apps.py
    def ready(self):
        from accounts import page_context
        page_context.add_business_page(reconnect_banner)
        page_context.add_switcher(client_connection_status)

A contributor answers a dict that is merged into the context; it runs once per page and reads the
business (or businesses) it is given only.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.permissions import Access

BusinessPageContributor = Callable[[Access], dict]
SwitcherContributor = Callable[[list[Access]], dict]

_business_page: list[BusinessPageContributor] = []
_switcher: list[SwitcherContributor] = []


def add_business_page(contributor: BusinessPageContributor) -> None:
    """Add to the context of every page of one business; ``contributor(access)``."""
    if contributor not in _business_page:
        _business_page.append(contributor)


def add_switcher(contributor: SwitcherContributor) -> None:
    """Add to the switcher's context; ``contributor(clients)`` gets the practice clients the user reaches."""
    if contributor not in _switcher:
        _switcher.append(contributor)


def business_page_context(access: Access) -> dict:
    context: dict = {}
    for contributor in _business_page:
        context.update(contributor(access))
    return context


def switcher_context(clients: list[Access]) -> dict:
    context: dict = {}
    for contributor in _switcher:
        context.update(contributor(clients))
    return context
