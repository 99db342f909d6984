"""The ledger's lists (DESIGN.md §9): what each connection's items are coded against.

Accounts, tax rates, payment accounts, contacts, products and tracking, synced from the provider on connect,
every 48 hours and on demand, kept per connection, never deleted (entries gone from the ledger become
inactive), searched by the pickers and the API.
"""
