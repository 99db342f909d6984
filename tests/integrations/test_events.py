"""The connection-event seam: integrations announces, publishing listens (registered in its ready())."""

import pytest

from integrations import events, services
from integrations.models import Connection, ConnectionStatus
from integrations.providers.base import ConnectResult
from publishing.models import Item
from publishing.services import PublishingConnectionListener, item_create


class Recorder(events.NoOpListener):
    def __init__(self, counts: events.DisconnectCounts | None = None):
        self.heard = []
        self.counts = counts or events.DisconnectCounts()

    def on_connected(self, *, connection, actor):
        self.heard.append(("connected", connection.provider))

    def on_reconnected(self, *, connection, actor):
        self.heard.append(("reconnected", connection.provider))

    def on_disconnect_preview(self, *, connection):
        self.heard.append(("disconnect_preview", connection.provider))
        return self.counts

    def on_disconnected(self, *, connection, actor):
        # Called after the connection row is marked disconnected, in the same transaction.
        status = Connection.objects.for_business(connection.business_id).get(pk=connection.pk).status
        self.heard.append(("disconnected", connection.provider, status))
        return self.counts

    def on_defaults_changed(self, *, business, defaults, actor):
        self.heard.append(("defaults_changed", str(defaults.default_publishing_connection_id)))

    def on_needs_reconnect(self, *, connection, reason):
        self.heard.append(("needs_reconnect", connection.provider, reason))


class Refuses(events.NoOpListener):
    def on_connected(self, *, connection, actor):
        raise RuntimeError("listener failed")

    def on_disconnected(self, *, connection, actor):
        raise RuntimeError("listener failed")


def test_publishing_registers_its_connection_listener_at_start_up():
    assert any(isinstance(listener, PublishingConnectionListener) for listener in events.listeners())


def test_registering_twice_keeps_one_and_unregister_removes_it():
    recorder = Recorder()
    with events.only_listeners():
        events.register(recorder)
        events.register(recorder)
        assert events.listeners() == (recorder,)
        events.unregister(recorder)
        events.unregister(recorder)  # not registered any more: nothing happens
        assert events.listeners() == ()


def test_every_connection_event_reaches_a_listener_in_order(world, connect):
    recorder = Recorder()
    with events.only_listeners(recorder):
        xero = connect(world.a, "xero")
        bill = connect(world.a, "bill_com")
        services.publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=bill.id)
        services.connection_mark_needs_reconnect(connection=bill, reason="The refresh token was revoked.")
        services.connection_mark_needs_reconnect(connection=bill, reason="again")  # no change: no event
        services.connection_renew(
            connection=bill, result=ConnectResult("Sandbox Org", "bill_com-tenant", {"session_id": "new"}), actor=None
        )
        services.connection_disconnect_preview(business=world.a, connection_id=bill.id)
        services.connection_disconnect(business=world.a, connection_id=bill.id, actor=None)
    assert recorder.heard == [
        ("connected", "xero"),
        ("connected", "bill_com"),
        ("defaults_changed", str(bill.id)),
        ("needs_reconnect", "bill_com", "The refresh token was revoked."),
        ("reconnected", "bill_com"),
        ("disconnect_preview", "bill_com"),
        ("disconnected", "bill_com", ConnectionStatus.DISCONNECTED),
    ]
    assert xero.status == ConnectionStatus.ACTIVE


def test_without_a_listener_connection_events_leave_items_alone(world, connect):
    item = item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co")
    with events.only_listeners():
        xero = connect(world.a, "xero")
        preview = services.connection_disconnect_preview(business=world.a, connection_id=xero.id)
    item.refresh_from_db()
    assert item.integration_id is None  # publishing's listener would have resolved it to Xero
    assert preview["items_reassigned"] == preview["supplier_rules_cleared"] == preview["jobs_cancelled"] == 0


def test_publishing_listener_resolves_items_on_connect(world, connect):
    item = item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co")
    xero = connect(world.a, "xero")
    item.refresh_from_db()
    assert item.integration_id == xero.id


def test_disconnect_counts_of_every_listener_add_up(world, connect):
    counts = events.DisconnectCounts(items=1, rules=2, jobs=3)
    with events.only_listeners(Recorder(counts), Recorder(counts)):
        connect(world.a, "xero")
        bill = connect(world.a, "bill_com")
        preview = services.connection_disconnect_preview(business=world.a, connection_id=bill.id)
        effects = services.connection_disconnect(business=world.a, connection_id=bill.id, actor=None)
    assert (preview["items_reassigned"], preview["supplier_rules_cleared"], preview["jobs_cancelled"]) == (2, 4, 6)
    assert (effects.items_reassigned, effects.supplier_rules_cleared, effects.jobs_cancelled) == (2, 4, 6)


def test_a_failing_listener_rolls_the_connect_back(world, connect):
    with events.only_listeners(Refuses()), pytest.raises(RuntimeError):
        connect(world.a, "xero")
    assert not Connection.objects.for_business(world.a).exists()


def test_a_failing_listener_rolls_the_disconnect_back(world, connect):
    xero = connect(world.a, "xero")
    item = item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co")
    with events.only_listeners(Refuses()), pytest.raises(RuntimeError):
        services.connection_disconnect(business=world.a, connection_id=xero.id, actor=None)
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE
    assert Item.objects.for_business(world.a).get(pk=item.pk).integration_id == xero.id
