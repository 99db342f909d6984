"""QuickBooks Desktop has no client that calls out: its jobs wait for the Web Connector to poll.

See publishing/qbd.py, the work source that the Web Connector's SOAP service drains.
"""

from integrations.providers.base import ValidationError


class QuickBooksDesktopClient:
    def __init__(self, connection):
        self.connection = connection

    def publish(self, doc):
        raise ValidationError("QuickBooks Desktop documents are sent when its Web Connector next polls.")
