"""QuickBooks Desktop: the customer's PC runs the QuickBooks Web Connector, which polls our SOAP service
(:mod:`integrations.qbwc`) and carries qbXML requests to QuickBooks and its answers back.

``provider`` (identity, capabilities, connecting: the Web Connector's log-in), ``client`` (publishing: the
qbXML steps of a document, a pull client), ``qbxml`` (the requests and the reading of responses). There are no
base URLs to declare. Its sandbox imitation is a test double of the Web Connector and QuickBooks
(``tests/integrations/qbwc/fake_web_connector.py``); what it "received" is listed by the provider sandbox.
"""

from integrations.providers.quickbooks_desktop.provider import QuickBooksDesktop

__all__ = ["QuickBooksDesktop"]
