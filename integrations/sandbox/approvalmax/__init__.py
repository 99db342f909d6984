"""The sandbox's ApprovalMax: OAuth (its policy is in ``api``), companies, and bills submitted into a company's
approval workflow. ``api`` (the calls), ``views``, ``urls``. Mirrors ``integrations/providers/approvalmax/``.
"""
