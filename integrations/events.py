"""Connection events: how the connections services tell a higher app what happened, without importing it.

Integrations sits below publishing (``dext_connections ← accounts ← integrations ← publishing``), yet a
connection event changes publishing's rows: a new connection resolves the items that had no integration,
a disconnect re-points items and clears supplier rules, a default change re-points default-sourced items.
The services call the registered listeners; publishing registers its listener once, at start-up::

    # publishing/apps.py
    def ready(self):
        from integrations import events
        events.register(PublishingConnectionListener())

Rules for a listener:
- ``on_connected``, ``on_disconnected`` and ``on_defaults_changed`` run inside the service's transaction,
  with the business row locked; a listener's exception rolls the whole change back.
- ``on_reconnected`` runs after the reconnect is committed (it may queue publish jobs);
  ``on_needs_reconnect`` after the connection's status was changed.
- ``on_disconnect_preview`` only reads; ``on_disconnected`` writes and answers what it changed.
- Stay within the connection's business (``connection.business_id``).

With no listener registered every event is a no-op and the counts are zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from accounts.models import Business, User
    from integrations.models import Connection, PublishingDefaults


@dataclass(frozen=True)
class DisconnectCounts:
    """What a disconnect does to a listener's rows: items re-pointed, supplier rules cleared, jobs cancelled."""

    items: int = 0
    rules: int = 0
    jobs: int = 0

    def __add__(self, other: DisconnectCounts) -> DisconnectCounts:
        return DisconnectCounts(self.items + other.items, self.rules + other.rules, self.jobs + other.jobs)


class ConnectionListener(Protocol):
    def on_connected(self, *, connection: Connection, actor: User | None) -> None:
        """A connection was made (inside the transaction that made it)."""

    def on_reconnected(self, *, connection: Connection, actor: User | None) -> None:
        """An expired connection was renewed (after that was committed)."""

    def on_disconnect_preview(self, *, connection: Connection) -> DisconnectCounts:
        """What disconnecting ``connection`` would change; writes nothing."""

    def on_disconnected(self, *, connection: Connection, actor: User | None) -> DisconnectCounts:
        """``connection`` was disconnected (inside that transaction, defaults already moved): tidy up, count."""

    def on_defaults_changed(self, *, business: Business, defaults: PublishingDefaults, actor: User | None) -> None:
        """The business's publishing defaults changed (inside that transaction)."""

    def on_lists_synced(self, *, connection: Connection) -> None:
        """A sync of ``connection``'s lists ended well (after it was committed): the coding of the items coded
        against them may have changed (an entry archived, a category now matched)."""

    def on_needs_reconnect(self, *, connection: Connection, reason: str) -> None:
        """The provider refused our authorisation: ``connection`` now needs a reconnect."""


class NoOpListener:
    """A listener that does nothing: a base for listeners that care about a few events only."""

    def on_connected(self, *, connection: Connection, actor: User | None) -> None:
        return None

    def on_reconnected(self, *, connection: Connection, actor: User | None) -> None:
        return None

    def on_disconnect_preview(self, *, connection: Connection) -> DisconnectCounts:
        return DisconnectCounts()

    def on_disconnected(self, *, connection: Connection, actor: User | None) -> DisconnectCounts:
        return DisconnectCounts()

    def on_defaults_changed(self, *, business: Business, defaults: PublishingDefaults, actor: User | None) -> None:
        return None

    def on_needs_reconnect(self, *, connection: Connection, reason: str) -> None:
        return None

    def on_lists_synced(self, *, connection: Connection) -> None:
        return None


_listeners: list[ConnectionListener] = []


def register(listener: ConnectionListener) -> None:
    """Add a listener (once: registering the same object again changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister(listener: ConnectionListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def listeners() -> tuple[ConnectionListener, ...]:
    return tuple(_listeners)


@contextmanager
def only_listeners(*registered: ConnectionListener) -> Iterator[None]:
    """Replace every listener by ``registered`` for the length of a ``with`` block (tests), then put them back."""
    previous = list(_listeners)
    _listeners[:] = list(registered)
    try:
        yield
    finally:
        _listeners[:] = previous


# ---------------------------------------------------------------- what the services call


def connected(*, connection: Connection, actor: User | None) -> None:
    for listener in listeners():
        listener.on_connected(connection=connection, actor=actor)


def reconnected(*, connection: Connection, actor: User | None) -> None:
    for listener in listeners():
        listener.on_reconnected(connection=connection, actor=actor)


def disconnect_preview(*, connection: Connection) -> DisconnectCounts:
    counts = DisconnectCounts()
    for listener in listeners():
        counts += listener.on_disconnect_preview(connection=connection)
    return counts


def disconnected(*, connection: Connection, actor: User | None) -> DisconnectCounts:
    counts = DisconnectCounts()
    for listener in listeners():
        counts += listener.on_disconnected(connection=connection, actor=actor)
    return counts


def defaults_changed(*, business: Business, defaults: PublishingDefaults, actor: User | None) -> None:
    for listener in listeners():
        listener.on_defaults_changed(business=business, defaults=defaults, actor=actor)


def needs_reconnect(*, connection: Connection, reason: str) -> None:
    for listener in listeners():
        listener.on_needs_reconnect(connection=connection, reason=reason)


def lists_synced(*, connection: Connection) -> None:
    for listener in listeners():
        listener.on_lists_synced(connection=connection)
