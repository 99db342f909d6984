"""The sandbox's Bill.com (v3): session login, vendors, bills (one or in bulk) and bill documents, with Bill.com's
limits and ``BDC_`` errors. ``api`` (the calls), ``views``, ``urls``. Mirrors ``integrations/providers/bill_com/``.
"""
