"""Accounting providers: one module each behind :class:`~integrations.providers.base.Provider`."""
