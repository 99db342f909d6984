"""QuickBooks Desktop through the QuickBooks Web Connector (QBWC).

The customer's PC runs the Web Connector, which polls our SOAP endpoint (``views.py``) every few
minutes. Each poll is a session: authenticate with the user name and password of the ``.qwc`` file
(``credentials.py``, ``qwc.py``), then fetch qbXML requests one at a time from the work sources registered in
``queue.py`` (QuickBooks Desktop's list sync first, then the publishing pipeline) and hand QuickBooks' responses
back to the one that asked.

A small Django app of its own (label ``qbwc``) so that its session table lives beside it.
"""
