"""The sandbox's QuickBooks Online companies: a US and a UK company with their lists, name lists that answer their
active entries unless asked, change data capture, batch queries, and ids that survive a reset."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from integrations.sandbox import services
from integrations.sandbox.organisations import organisations_for
from tests.integrations.sandbox.conftest import (
    REDIRECT_URI,
    Connected,
    allow,
    authorize_params,
    token_post,
)


def connect_company(client, position: int) -> Connected:
    realm = organisations_for("quickbooks_online")[position].external_id
    redirect = allow(client, "quickbooks_online", authorize_params("quickbooks_online"), org=realm)
    form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT_URI}
    answer = token_post(client, "quickbooks_online", form).json()
    connected = Connected("quickbooks_online", answer["access_token"], answer["refresh_token"], answer, redirect)
    connected.tenants = [redirect["realmId"]]
    assert connected.tenants == [realm]
    return connected


@pytest.fixture
def us(client):
    return connect_company(client, 0)


@pytest.fixture
def uk(client):
    return connect_company(client, 2)


def get(client, connected, path):
    base = f"/sandbox/quickbooks_online/v3/company/{connected.tenants[0]}"
    return client.get(base + path, headers={"Authorization": connected.bearer, "Accept": "application/json"})


def query(client, connected, statement) -> dict:
    response = get(client, connected, "/query?query=" + quote(statement))
    assert response.status_code == 200, response.content
    return response.json()["QueryResponse"]


def test_the_companies_say_their_country_and_currency(client, us, uk):
    assert [o.name for o in organisations_for("quickbooks_online")][0] == "Sandbox Trading Co", "the default"
    info = get(client, uk, f"/companyinfo/{uk.tenants[0]}").json()["CompanyInfo"]
    assert (info["CompanyName"], info["Country"]) == ("Sandbox Trading Ltd", "GB")
    prefs = get(client, uk, "/preferences").json()["Preferences"]["CurrencyPrefs"]
    assert prefs == {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "GBP"}}
    assert get(client, us, f"/companyinfo/{us.tenants[0]}").json()["CompanyInfo"]["Country"] == "US"


def test_name_lists_answer_their_active_entries_unless_asked(client, us):
    names = {v["DisplayName"] for v in query(client, us, "select * from Vendor MAXRESULTS 1000")["Vendor"]}
    assert "Bayside Office Furniture" in names and "Old Print Shop" not in names
    everything = query(client, us, "select * from Vendor where Active in (true, false) MAXRESULTS 1000")["Vendor"]
    assert len(everything) == 26 and "Old Print Shop" in {v["DisplayName"] for v in everything}
    inactive = query(client, us, "select * from Vendor where Active = false")["Vendor"]
    assert [v["DisplayName"] for v in inactive] == ["Old Print Shop"]
    accounts = query(client, us, "select * from Account MAXRESULTS 1000")["Account"]
    assert "Old Office Supplies" not in {a["Name"] for a in accounts}
    assert {a["Id"]: a["Classification"] for a in accounts}["20"] == "Expense"


def test_us_tax_codes_include_the_pseudo_codes_and_uk_ones_their_rate_lists(client, us, uk):
    us_codes = {c["Id"]: c for c in query(client, us, "select * from TaxCode")["TaxCode"]}
    assert us_codes["TAX"]["TaxGroup"] is False and us_codes["NON"]["Taxable"] is False
    uk_codes = {c["Name"]: c for c in query(client, uk, "select * from TaxCode")["TaxCode"]}
    standard = uk_codes["20.0% S"]
    assert standard["PurchaseTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"] == "2"
    assert "17.5% S" not in uk_codes, "inactive codes only when asked"
    rates = {r["Id"]: r["RateValue"] for r in query(client, uk, "select * from TaxRate")["TaxRate"]}
    assert rates["2"] == 20.0 and rates["4"] == 5.0


def test_change_data_capture_answers_what_changed_grouped_by_entity(client, us, clock):
    since = (clock.now + timedelta(minutes=1)).isoformat()
    clock.advance(minutes=2)
    made = client.post(
        f"/sandbox/quickbooks_online/v3/company/{us.tenants[0]}/vendor",
        json.dumps({"DisplayName": "New Vendor Co"}),
        content_type="application/json",
        headers={"Authorization": us.bearer},
    ).json()["Vendor"]
    answer = get(client, us, f"/cdc?entities=Vendor,Customer&changedSince={quote(since)}").json()
    groups = answer["CDCResponse"][0]["QueryResponse"]
    assert [v["Id"] for v in groups[0]["Vendor"]] == [made["Id"]] and groups[1] == {}
    too_old = (clock.now - timedelta(days=31)).isoformat()
    assert get(client, us, f"/cdc?entities=Vendor&changedSince={quote(too_old)}").status_code == 400
    assert get(client, us, f"/cdc?entities=TaxRate&changedSince={quote(since)}").status_code == 400
    assert get(client, us, "/cdc?entities=Vendor").status_code == 400


def test_a_batch_answers_queries_too(client, us):
    request = {
        "BatchItemRequest": [
            {"bId": "a", "Query": "select * from TaxRate"},
            {"bId": "b", "Query": "select * from Nothing"},
        ]
    }
    response = client.post(
        f"/sandbox/quickbooks_online/v3/company/{us.tenants[0]}/batch",
        json.dumps(request),
        content_type="application/json",
        headers={"Authorization": us.bearer},
    )
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert len(answers["a"]["QueryResponse"]["TaxRate"]) == 3
    assert answers["b"]["Fault"]["Error"][0]["code"] == "4000"


def test_seeded_names_keep_their_ids_after_a_reset(client, us):
    first = {v["DisplayName"]: v["Id"] for v in query(client, us, "select * from Vendor MAXRESULTS 1000")["Vendor"]}
    services.sandbox_reset()
    again = connect_company(client, 0)
    second = {v["DisplayName"]: v["Id"] for v in query(client, again, "select * from Vendor MAXRESULTS 1000")["Vendor"]}
    assert first == second and first["Munich Parts GmbH"] == "53"
