"""Xero: OAuth 2.0 with PKCE; bills, sales and spend money through the Accounting API.

``provider`` (identity, capabilities, connecting and revoking), ``client`` (publishing), ``endpoints`` (base
URLs, the OAuth app registration's environment names, constants). The sandbox's imitation mirrors it in
``integrations/sandbox/xero/``.
"""

from integrations.providers.xero.provider import Xero

__all__ = ["Xero"]
