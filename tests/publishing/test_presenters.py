"""publishing.presenters and the connections view it reads: labels decided by capability, not provider key."""

from types import SimpleNamespace

from publishing import selectors
from publishing.models import ItemState
from publishing.presenters import options_html, state_label


def test_pull_delivery_connections_are_found_by_their_provider_not_their_key(world, connect):
    qbd = connect(world.a, "quickbooks_desktop")
    connect(world.b, "xero")
    assert selectors.connections_for_items(business=world.a).pull_labels == {qbd.id: "Waiting for QuickBooks Desktop"}
    assert selectors.connections_for_items(business=world.b).pull_labels == {}


def test_a_queued_item_waits_for_the_web_connector_only_on_such_a_connection(world, connect):
    qbd = connect(world.a, "quickbooks_desktop")
    ids = selectors.connections_for_items(business=world.a).pull_labels
    queued = SimpleNamespace(state=ItemState.QUEUED, integration_id=qbd.id)
    assert state_label(queued, ids) == "Waiting for QuickBooks Desktop"
    assert state_label(SimpleNamespace(state=ItemState.QUEUED, integration_id=None), ids) == "Queued"
    assert state_label(SimpleNamespace(state=ItemState.READY, integration_id=qbd.id), ids) == "Ready"


def test_options_html_marks_the_choice_and_escapes_names():
    a = SimpleNamespace(id=1, name="<Xero>")
    b = SimpleNamespace(id=2, name="Bill.com")
    expected = '<option value="1">&lt;Xero&gt;</option><option value="2" selected>Bill.com</option>'
    assert options_html([a, b], 2) == expected
    assert options_html([a], None).startswith('<option value="" selected>Not set</option>')
