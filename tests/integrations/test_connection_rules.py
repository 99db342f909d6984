"""R1–R7 of DESIGN.md §4 and every refusal of the Connections part of API.md."""

import threading
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.db import connection as db_connection

from accounts.models import AuditLogEntry
from dext_connections.errors import Conflict
from integrations import services
from integrations.models import Connection, ConnectionStatus, ProviderKind, PublishingDefaults
from publishing.models import IntegrationSource, Item, ItemState, PublishJob, PublishJobStatus, SupplierRule
from publishing.services import item_create, supplier_get_or_create


def url(business, path=""):
    return f"/api/v1/businesses/{business.id}/{path}"


# ---------------------------------------------------------------- R1


def test_R1_second_main_is_refused_main_exists(world, api_as, connect):
    connect(world.a, "xero")
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "quickbooks_desktop"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "main_exists"
    assert "Xero" in response.json()["detail"]


def test_R1_same_additional_twice_is_refused_already_connected(world, api_as, connect):
    connect(world.a, "xero")
    connect(world.a, "bill_com")
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "bill_com", "credentials": {}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_connected"


def test_R1_same_main_twice_is_already_connected(world, api_as, connect):
    connect(world.a, "xero")
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "xero"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_connected"


def test_R1_is_also_enforced_by_postgres(world, connect):
    connect(world.a, "xero")
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.create(business=world.a, provider="quickbooks_online", kind=ProviderKind.MAIN)


def test_R1_a_disconnected_main_does_not_count(world, connect):
    xero = connect(world.a, "xero")
    services.connection_disconnect(business=world.a, connection_id=xero.id, actor=None)
    assert connect(world.a, "quickbooks_online").status == ConnectionStatus.ACTIVE


def test_R1_concurrent_main_connects_make_exactly_one(transactional_db, connect):
    """Two requests connect a main at the same moment against real PostgreSQL: one wins, one is refused."""
    from tests.factories import BusinessFactory

    business = BusinessFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(provider_key):
        try:
            barrier.wait()
            connect(business, provider_key)
            outcomes.append("connected")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=attempt, args=(key,)) for key in ("xero", "quickbooks_online")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["connected", "main_exists"]
    assert Connection.objects.for_business(business).filter(kind="main").count() == 1


def test_R2_R3_concurrent_disconnect_main_and_connect_additional_never_strand_an_additional(transactional_db, connect):
    """Disconnecting the main while someone connects Bill.com: never an additional without a main."""
    from tests.factories import BusinessFactory

    for _ in range(5):
        business = BusinessFactory()
        main = connect(business, "xero")
        barrier = threading.Barrier(2)

        def disconnect_main(business=business, main=main, barrier=barrier):
            try:
                barrier.wait()
                services.connection_disconnect(business=business, connection_id=main.id, actor=None)
            except Conflict:
                pass
            finally:
                db_connection.close()

        def connect_additional(business=business, barrier=barrier):
            try:
                barrier.wait()
                connect(business, "bill_com")
            except Conflict:
                pass
            finally:
                db_connection.close()

        threads = [threading.Thread(target=disconnect_main), threading.Thread(target=connect_additional)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        live = Connection.objects.for_business(business).exclude(status=ConnectionStatus.DISCONNECTED)
        kinds = sorted(live.values_list("kind", flat=True))
        assert kinds in ([], ["additional", "main"], ["main"]), f"stranded: {kinds}"


# ---------------------------------------------------------------- R2


def test_R2_additional_without_main_is_refused_main_required(world, api_as):
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "bill_com", "credentials": {"username": "sandbox"}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "main_required"


def test_R2_approvalmax_without_main_is_refused_before_any_redirect(world, api_as):
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "approvalmax"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "main_required"


# ---------------------------------------------------------------- R3


def test_R3_main_cannot_be_disconnected_while_an_additional_is_active(world, api_as, connect):
    xero = connect(world.a, "xero")
    connect(world.a, "bill_com")
    connect(world.a, "approvalmax")
    response = api_as(world.users["business_admin"]).delete(url(world.a, f"connections/{xero.id}/"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "additional_active"
    assert "Bill.com" in body["detail"] and "ApprovalMax" in body["detail"]
    assert Connection.objects.for_business(world.a).get(pk=xero.id).status == ConnectionStatus.ACTIVE


def test_R3_main_disconnects_once_additionals_are_gone(world, api_as, connect):
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    client = api_as(world.users["business_admin"])
    assert client.delete(url(world.a, f"connections/{bill.id}/")).status_code == 204
    assert client.delete(url(world.a, f"connections/{xero.id}/")).status_code == 204
    assert client.get(url(world.a, "connections/")).json() == []
    assert Connection.objects.for_business(world.a).get(pk=xero.id).credentials == {}, "credentials must be wiped"


def test_R3_preview_names_what_blocks_the_main(world, api_as, connect):
    xero = connect(world.a, "xero")
    connect(world.a, "bill_com")
    preview = (
        api_as(world.users["business_admin"]).get(url(world.a, f"connections/{xero.id}/disconnect-preview/")).json()
    )
    assert [b["name"] for b in preview["blocked_by"]] == ["Bill.com"]


# ---------------------------------------------------------------- R4


def test_R4_defaults_start_at_the_main_connection(world, api_as, connect):
    xero = connect(world.a, "xero")
    body = api_as(world.users["business_admin"]).get(url(world.a, "publishing-defaults/")).json()
    assert body == {"default_publishing_connection": str(xero.id), "default_expense_claims_connection": str(xero.id)}


def test_R4_set_defaults_to_any_active_connection(world, api_as, connect):
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    response = api_as(world.users["business_admin"]).put(
        url(world.a, "publishing-defaults/"),
        {"default_publishing_connection": str(bill.id), "default_expense_claims_connection": str(xero.id)},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["default_publishing_connection"] == str(bill.id)


@pytest.mark.parametrize("which", ["unknown", "other_business", "disconnected", "needs_reconnect"])
def test_R4_default_must_be_an_active_connection_of_this_business(world, api_as, connect, which):
    connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    other = connect(world.b, "xero")
    target = {"unknown": uuid.uuid4(), "other_business": other.id, "disconnected": bill.id, "needs_reconnect": bill.id}[
        which
    ]
    if which == "disconnected":
        services.connection_disconnect(business=world.a, connection_id=bill.id, actor=None)
    if which == "needs_reconnect":
        services.connection_mark_needs_reconnect(connection=bill, reason="expired")
    response = api_as(world.users["business_admin"]).put(
        url(world.a, "publishing-defaults/"), {"default_publishing_connection": str(target)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_connection"


def test_R4_expense_claims_default_must_accept_expense_claims(world, api_as, connect):
    qbd = connect(world.a, "quickbooks_desktop")
    connect(world.a, "bill_com")
    response = api_as(world.users["business_admin"]).put(
        url(world.a, "publishing-defaults/"), {"default_expense_claims_connection": str(qbd.id)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_for_expense_claims"


def test_R4_malformed_defaults_body_is_400(world, api_as, connect):
    connect(world.a, "xero")
    response = api_as(world.users["business_admin"]).put(
        url(world.a, "publishing-defaults/"), {"default_publishing_connection": "not-a-uuid"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_R4_default_change_repoints_default_sourced_unpublished_items_only(world, connect):
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    admin = world.users["business_admin"]
    by_default = item_create(business=world.a, actor=admin, kind="cost", contact_name="Acme Paper")
    by_hand = item_create(business=world.a, actor=admin, kind="cost", contact_name="Acme Paper")
    services_item = __import__("publishing.services", fromlist=["item_set_integration"])
    services_item.item_set_integration(business=world.a, actor=admin, item_id=by_hand.id, connection_id=xero.id)
    published = item_create(business=world.a, actor=admin, kind="cost", contact_name="Acme Paper")
    Item.objects.for_business(world.a).filter(pk=published.pk).update(state=ItemState.PUBLISHED)
    assert by_default.integration_id == xero.id and by_default.integration_source == IntegrationSource.DEFAULT

    services.publishing_defaults_set(business=world.a, actor=admin, default_publishing_connection=bill.id)

    items = {i.pk: i for i in Item.objects.for_business(world.a)}
    assert items[by_default.pk].integration_id == bill.id
    assert items[by_hand.pk].integration_id == xero.id, "a hand-made choice must not move"
    assert items[published.pk].integration_id == xero.id, "a published item must not move"
    history = items[by_default.pk].history.filter(field="integration").first()
    assert history.reason == "Default integration changed" and history.after == str(bill.id)


# ---------------------------------------------------------------- R5


def test_R5_needs_reconnect_shows_and_reconnect_keeps_defaults(world, connect):
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    services.publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=bill.id)
    assert services.connection_mark_needs_reconnect(connection=bill, reason="The refresh token was revoked.")
    bill.refresh_from_db()
    assert bill.status == ConnectionStatus.NEEDS_RECONNECT
    from integrations.providers.base import ConnectResult

    services.connection_renew(
        connection=bill, result=ConnectResult("Sandbox Org", "bill_com-tenant", {"session_id": "new"}), actor=None
    )
    bill.refresh_from_db()
    defaults = PublishingDefaults.objects.for_business(world.a).get()
    assert bill.status == ConnectionStatus.ACTIVE
    assert defaults.default_publishing_connection_id == bill.id
    assert defaults.default_expense_claims_connection_id == xero.id


# ---------------------------------------------------------------- R6


@pytest.fixture
def r6_world(world, connect):
    admin = world.users["business_admin"]
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    services.publishing_defaults_set(
        business=world.a, actor=admin, default_publishing_connection=bill.id, default_expense_claims_connection=bill.id
    )
    supplier = supplier_get_or_create(business=world.a, name="Office Supplies Co")
    SupplierRule.objects.create(business=world.a, supplier=supplier, integration=bill)
    items = [
        item_create(
            business=world.a,
            actor=admin,
            kind="cost",
            contact_name="Office Supplies Co",
            date="2026-11-01",
            total="10.00",
            category="400",
        )
        for _ in range(3)
    ]
    queued = items[0]
    Item.objects.for_business(world.a).filter(pk=queued.pk).update(state=ItemState.QUEUED)
    PublishJob.objects.create(business=world.a, item=queued, connection=bill, idempotency_key="k")
    return {"xero": xero, "bill": bill, "items": items, "queued": queued, "admin": admin}


def test_R6_preview_counts_what_disconnect_changes(world, api_as, r6_world):
    bill = r6_world["bill"]
    preview = (
        api_as(world.users["business_admin"]).get(url(world.a, f"connections/{bill.id}/disconnect-preview/")).json()
    )
    assert preview == {
        "defaults_moved": 2,
        "items_reassigned": 3,
        "supplier_rules_cleared": 1,
        "jobs_cancelled": 1,
        "blocked_by": [],
    }


def test_R6_disconnecting_an_additional_moves_defaults_items_rules_and_jobs(world, api_as, r6_world):
    xero, bill = r6_world["xero"], r6_world["bill"]
    assert api_as(world.users["business_admin"]).delete(url(world.a, f"connections/{bill.id}/")).status_code == 204
    defaults = PublishingDefaults.objects.for_business(world.a).get()
    assert defaults.default_publishing_connection_id == xero.id
    assert defaults.default_expense_claims_connection_id == xero.id
    assert not SupplierRule.objects.for_business(world.a).filter(integration=bill).exists()
    for item in Item.objects.for_business(world.a):
        assert item.integration_id == xero.id, "an item still points at the disconnected integration"
        assert item.history.filter(field="integration", reason="Bill.com disconnected").exists()
    queued = Item.objects.for_business(world.a).get(pk=r6_world["queued"].pk)
    assert queued.state == ItemState.READY
    assert "Bill.com was disconnected" in queued.last_publish_error
    assert PublishJob.objects.for_business(world.a).get().status == PublishJobStatus.CANCELLED


# ---------------------------------------------------------------- R7


def test_R7_every_connection_and_default_change_is_audited(world, api_as, r6_world):
    bill = r6_world["bill"]
    api_as(world.users["business_admin"]).delete(url(world.a, f"connections/{bill.id}/"))
    actions = list(AuditLogEntry.objects.for_business(world.a).order_by("id").values_list("action", flat=True))
    assert actions[:3] == ["connection.connected", "connection.connected", "defaults.changed"]
    assert {"supplier_rule.integration_cleared", "defaults.moved_on_disconnect", "connection.disconnected"} <= set(
        actions
    )
    entry = AuditLogEntry.objects.for_business(world.a).get(action="connection.disconnected")
    assert entry.actor == world.users["business_admin"]
    assert entry.before["status"] == "active" and entry.after["status"] == "disconnected"


def test_R7_audit_log_api_for_admins_and_practice_only(world, api_as, r6_world):
    body = api_as(world.users["practice_standard"]).get(url(world.a, "audit-log/?page_size=2")).json()
    assert len(body["results"]) == 2 and body["next"]
    second = api_as(world.users["practice_standard"]).get(body["next"]).json()
    assert {r["action"] for r in second["results"]}
    response = api_as(world.users["standard_publisher"]).get(url(world.a, "audit-log/"))
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"


def test_R7_audit_log_of_another_tenant_is_404(world, api_as, r6_world):
    response = api_as(world.users["b_admin"]).get(url(world.a, "audit-log/"))
    assert response.status_code == 404, "A's audit log leaked to B's admin"


# ---------------------------------------------------------------- other refusals, roles and isolation


def test_unknown_provider_is_400(world, api_as):
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"provider": "sage"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_provider"


def test_connect_body_must_be_valid(world, api_as):
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "connections/"), {"credentials": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "provider" in response.json()["errors"]


@pytest.mark.parametrize("role", ["standard", "standard_publisher"])
def test_non_admins_may_not_change_connections(world, api_as, connect, role):
    xero = connect(world.a, "xero")
    client = api_as(world.users[role])
    assert client.get(url(world.a, "connections/")).status_code == 200, (
        "everyone who sees the business reads its connections"
    )
    for response in (
        client.post(url(world.a, "connections/"), {"provider": "bill_com"}, format="json"),
        client.delete(url(world.a, f"connections/{xero.id}/")),
        client.put(
            url(world.a, "publishing-defaults/"), {"default_publishing_connection": str(xero.id)}, format="json"
        ),
        client.get(url(world.a, f"connections/{xero.id}/disconnect-preview/")),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "not_allowed"


@pytest.mark.parametrize(
    "role", ["user_admin", "practice_practice_admin", "practice_client_admin", "practice_standard"]
)
def test_admins_and_practice_users_may_connect(world, api_as, role):
    response = api_as(world.users[role]).post(
        url(world.a, "connections/"), {"provider": "quickbooks_desktop"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"] == "quickbooks_desktop" and body["web_connector"]["password"]
    assert body["web_connector"]["qwc_url"].endswith(f"/settings/connections/{body['id']}/qwc/")


def test_connections_of_another_tenant_are_hidden(world, api_as, connect):
    theirs = connect(world.b, "xero")
    mine = connect(world.a, "xero")
    client = api_as(world.users["business_admin"])
    listed = [c["id"] for c in client.get(url(world.a, "connections/")).json()]
    assert listed == [str(mine.id)], "B's connection leaked into A's list"
    for response in (
        client.get(url(world.a, f"connections/{theirs.id}/")),
        client.delete(url(world.a, f"connections/{theirs.id}/")),
        client.get(url(world.a, f"connections/{theirs.id}/disconnect-preview/")),
        client.get(url(world.b, "connections/")),
        client.get(url(world.b, "publishing-defaults/")),
    ):
        assert response.status_code == 404, "another tenant's connection leaked"
    assert Connection.objects.for_business(world.b).get(pk=theirs.id).status == ConnectionStatus.ACTIVE


def test_unknown_connection_id_is_404(world, api_as, connect):
    connect(world.a, "xero")
    client = api_as(world.users["business_admin"])
    assert client.delete(url(world.a, f"connections/{uuid.uuid4()}/")).status_code == 404
    assert client.delete(url(world.a, "connections/not-a-uuid/")).status_code == 404


def test_providers_list(api_as, world):
    body = api_as(world.users["standard"]).get("/api/v1/providers/").json()
    by_key = {p["key"]: p for p in body}
    assert set(by_key) == {"xero", "quickbooks_online", "quickbooks_desktop", "bill_com", "approvalmax"}
    assert by_key["bill_com"] == {
        "key": "bill_com",
        "name": "Bill.com",
        "kind": "additional",
        "auth": "credentials",
        "item_kinds": ["cost", "expense_claim"],
    }
    assert by_key["quickbooks_desktop"]["auth"] == "web_connector"


def test_credentials_are_encrypted_at_rest_and_never_in_the_api(world, api_as, connect):
    xero = connect(world.a, "xero")
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_connection WHERE id = %s", [xero.id])
        raw = cursor.fetchone()[0]
    assert "refresh_token" not in raw and raw.startswith("gAAAA"), "credentials are not encrypted at rest"
    body = api_as(world.users["business_admin"]).get(url(world.a, "connections/")).content.decode()
    assert "access_token" not in body and "credentials" not in body


def test_the_web_connector_password_is_never_cached(world, api_as, client):
    """The answer that shows the generated password once carries Cache-Control: no-store (API and page)."""
    answer = api_as(world.users["business_admin"]).post(
        f"/api/v1/businesses/{world.a.id}/connections/", {"provider": "quickbooks_desktop"}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["web_connector"]["password"]
    assert "no-store" in answer["Cache-Control"]
    listed = api_as(world.users["business_admin"]).get(f"/api/v1/businesses/{world.a.id}/connections/")
    assert "password" not in listed.content.decode()
    services.connection_disconnect(
        business=world.a, connection_id=answer.json()["id"], actor=world.users["business_admin"]
    )
    client.force_login(world.users["business_admin"])
    page = client.post(f"/b/{world.a.id}/settings/connections/connect/", {"provider": "quickbooks_desktop"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
