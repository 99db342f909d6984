"""Bill.com (v3): organisation id, developer key, user name and password; a session login; bills (in bulk),
vendors and bill documents.

``provider`` (identity, capabilities, the session login, connecting and logging out), ``client`` (publishing),
``endpoints`` (base URLs, constants). The sandbox's imitation mirrors it in ``integrations/sandbox/bill_com/``.
"""

from integrations.providers.bill_com.provider import BillCom

__all__ = ["BillCom"]
