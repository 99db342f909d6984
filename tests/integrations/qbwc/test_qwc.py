"""The .qwc file a user adds to the Web Connector."""

import pytest
from lxml import etree

from accounts.models import Business
from integrations.models import Connection
from integrations.qbwc.qwc import qwc_download_response, render_qwc
from tests.integrations.qbwc.fake_web_connector import create_web_connector_connection


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://dext.example.test"


def fields(qwc: str) -> dict:
    assert qwc.startswith('<?xml version="1.0"?>')
    root = etree.fromstring(qwc.encode())
    assert root.tag == "QBWCXML"
    return {child.tag: child for child in root}


def test_qwc_has_every_field_the_web_connector_needs(site, qbd_a):
    connection, _ = qbd_a
    found = fields(render_qwc(connection=connection))
    assert list(found) == [
        "AppName",
        "AppID",
        "AppURL",
        "AppDescription",
        "AppSupport",
        "UserName",
        "OwnerID",
        "FileID",
        "QBType",
        "Scheduler",
        "IsReadOnly",
    ]
    assert found["AppName"].text == "Dext Connections - Alpha Ltd"
    assert found["AppURL"].text == "https://dext.example.test/qbwc/"
    assert found["AppSupport"].text == "https://dext.example.test/"
    assert found["UserName"].text == connection.credentials["username"]
    assert found["OwnerID"].text == connection.credentials["owner_id"]
    assert found["FileID"].text == connection.credentials["file_id"]
    assert found["QBType"].text == "QBFS"
    assert found["Scheduler"].findtext("RunEveryNMinutes") == "5"
    assert found["IsReadOnly"].text == "false"
    assert found["AppDescription"].text


def test_qwc_never_carries_the_password_or_its_hash(site, qbd_a):
    connection, password = qbd_a
    qwc = render_qwc(connection=connection)
    assert password not in qwc
    assert connection.credentials["password_hash"] not in qwc


def test_qwc_urls_can_be_given(qbd_a):
    connection, _ = qbd_a
    found = fields(
        render_qwc(connection=connection, app_url="https://a.example/qbwc/", support_url="https://a.example/help/")
    )
    assert found["AppURL"].text == "https://a.example/qbwc/"
    assert found["AppSupport"].text == "https://a.example/help/"


def test_qwc_escapes_the_business_name(site, db):
    business = Business.objects.create(name='Smith & Sons <"UK">')
    connection, _ = create_web_connector_connection(business=business)
    qwc = render_qwc(connection=connection)
    assert "Smith &amp; Sons &lt;" in qwc
    assert fields(qwc)["AppName"].text == 'Dext Connections - Smith & Sons <"UK">'


def test_qwc_needs_web_connector_credentials(business_a):
    connection = Connection.objects.create(business=business_a, provider="quickbooks_desktop", kind="main")
    with pytest.raises(ValueError, match="username"):
        render_qwc(connection=connection)


def test_qwc_download(site, qbd_a):
    connection, _ = qbd_a
    response = qwc_download_response(connection=connection)
    assert response["Content-Disposition"] == 'attachment; filename="alpha-ltd-quickbooks-desktop.qwc"'
    assert fields(response.content.decode())["UserName"].text == connection.credentials["username"]
