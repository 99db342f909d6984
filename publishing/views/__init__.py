"""Pages: the Costs inbox, Expense claims and Sales lists, Item details and Upload (:mod:`.items`), and
Business settings > Supplier rules (:mod:`.supplier_rules`).

Thin views: parse input, call one service or selector, render; how rows, history and labels are shown
is in :mod:`publishing.presenters`. Every page goes through BusinessViewMixin (the business comes from
the URL, for this user, or 404) and every write is guarded by the Action it needs.
"""
