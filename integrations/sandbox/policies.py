"""The OAuth policy of each provider the sandbox imitates, by provider (each is declared in its own folder)."""

from integrations.sandbox.approvalmax.api import POLICY as APPROVALMAX
from integrations.sandbox.oauth import Policy
from integrations.sandbox.quickbooks_online.constants import POLICY as QUICKBOOKS_ONLINE
from integrations.sandbox.xero.constants import POLICY as XERO

POLICIES: dict[str, Policy] = {policy.provider: policy for policy in (XERO, QUICKBOOKS_ONLINE, APPROVALMAX)}
