"""ApprovalMax: OAuth 2.0; bills go into the company's approval workflow, which posts them to its ledger.

``provider`` (identity, capabilities, connecting), ``client`` (publishing), ``endpoints`` (base URLs, the OAuth
app registration's environment names). The sandbox's imitation mirrors it in ``integrations/sandbox/approvalmax/``.
"""

from integrations.providers.approvalmax.provider import ApprovalMax

__all__ = ["ApprovalMax"]
