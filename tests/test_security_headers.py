"""A Content-Security-Policy on every page: nothing inline, nothing from elsewhere, no framing."""

import re

import pytest


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/healthz", "/api/v1/providers/", "/sandbox/xero/identity/connect/authorize", "/nowhere/"],
)
def test_every_answer_carries_the_policy(client, path, db):
    response = client.get(path)
    found = policy(response)
    assert found["script-src"] == ["'self'"] and found["style-src"] == ["'self'"]
    assert found["frame-ancestors"] == ["'none'"] and found["default-src"] == ["'self'"]
    assert found["base-uri"] == ["'self'"]


def test_pages_of_a_signed_in_user_carry_it_and_have_no_inline_script_or_style(client, world):
    client.force_login(world.users["business_admin"])
    for path in (
        "/switch/",
        f"/b/{world.a.id}/costs/",
        f"/b/{world.a.id}/sales/",
        f"/b/{world.a.id}/upload/",
        f"/b/{world.a.id}/settings/connections/",
        f"/b/{world.a.id}/settings/supplier-rules/",
        f"/b/{world.a.id}/settings/audit-log/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"]
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"an inline script on {path}"
        assert not re.search(r"<style\b", html), f"an inline <style> on {path}"
        assert not re.search(r"\sstyle=\"", html), f"a style attribute on {path}"
        assert not re.search(r"\son[a-z]+=\"", html), f"an inline event handler on {path}"


def test_forms_may_go_to_the_providers_authorize_pages_in_production(settings):
    from dext_connections.middleware import content_security_policy

    settings.CSP_FORM_ACTION_ORIGINS = ["https://appcenter.intuit.com", "https://login.xero.com"]
    assert "form-action 'self' https://appcenter.intuit.com https://login.xero.com" in content_security_policy("/")


def test_the_api_docs_page_loads_its_script_from_a_file(client, world):
    client.force_login(world.users["business_admin"])
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert client.get("/api/docs/?script=").status_code == 200


def test_only_the_attachment_view_may_be_framed_and_only_by_this_site(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from publishing.services import item_attachment_set
    from tests.publishing.conftest import PDF, make_item

    item = make_item(world.a)
    item_attachment_set(
        business=world.a, actor=None, item_id=item.pk, file=SimpleUploadedFile("bill.pdf", PDF, "application/pdf")
    )
    client.force_login(world.users["business_admin"])
    framed = client.get(f"/b/{world.a.id}/items/{item.pk}/attachment/")
    assert framed.status_code == 200 and framed["X-Frame-Options"] == "SAMEORIGIN"
    assert policy(framed)["frame-ancestors"] == ["'self'"]
    page = client.get(f"/b/{world.a.id}/items/{item.pk}/")
    assert policy(page)["frame-ancestors"] == ["'none'"] and page["X-Frame-Options"] == "DENY"
    assert policy(page)["object-src"] == ["'none'"] and policy(page)["frame-src"] == ["'self'"]
