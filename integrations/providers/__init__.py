"""Accounting providers: one package each (``xero``, ``quickbooks_online``, ``quickbooks_desktop``, ``bill_com``,
``approvalmax``) behind :class:`~integrations.providers.base.Provider`, listed once in ``registry``.

Shared machinery: ``base`` (the interface, capabilities, the error taxonomy, endpoint and OAuth registration
declarations, the pull client protocol), ``errors`` (provider errors → application errors), ``oauth`` (OAuth 2.0
and where app registrations are read), ``http_client`` (the HTTP clients' one request path), ``lookups`` (the
shared cache of contact ids and reference data), ``document`` (what a client is asked to publish).
"""
