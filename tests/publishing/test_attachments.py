"""Attachments: PDF or image by content (not by name), at most 10 MB, served only through a tenant check."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dext_connections.errors import ApplicationError
from publishing.demo import demo_pdf
from publishing.models import Item, ItemHistory, ItemState
from publishing.services import MAX_ATTACHMENT_BYTES, attachment_check
from tests.publishing.conftest import PDF, PNG, make_item

SAMPLES = {
    "application/pdf": PDF,
    "image/png": PNG,
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "image/gif": b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32,
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,
}


def page(name, business, **kwargs):
    return reverse(name, kwargs={"business_id": business.id, **kwargs})


@pytest.mark.parametrize("content_type, content", SAMPLES.items())
def test_pdf_and_images_are_accepted_by_their_content(content_type, content):
    upload = SimpleUploadedFile("scan.bin", content, content_type="application/octet-stream")
    assert attachment_check(upload) == content_type
    extension = {
        "application/pdf": "pdf",
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "image/webp": "webp",
    }
    assert upload.name == f"scan.{extension[content_type]}", "stored under the extension of what it really is"


@pytest.mark.parametrize(
    "name, content",
    [
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("receipt.png", b"MZ\x90\x00 a Windows program"),
        ("notes.txt", b"just some text"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        # A PDF starts with its header: "%PDF-" further in makes an HTML page or a program no PDF.
        ("invoice.pdf", b"<html><body><script>alert(1)</script>%PDF-1.4</body></html>"),
        ("invoice.pdf", b"MZ\x90\x00 padding %PDF-1.7\n1 0 obj"),
        ("invoice.pdf", b" %PDF-1.4\n"),
    ],
)
def test_other_files_are_refused_whatever_their_name(name, content):
    with pytest.raises(ApplicationError) as refused:
        attachment_check(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert refused.value.code == "invalid"
    assert refused.value.extra["errors"]["attachment"] == [
        "Only PDF, PNG, JPEG, GIF and WebP files can be attached; this file is none of those."
    ]


def test_an_empty_file_is_refused():
    with pytest.raises(ApplicationError, match="The file is empty."):
        attachment_check(SimpleUploadedFile("empty.pdf", b""))


def test_more_than_10_mb_is_refused():
    big = SimpleUploadedFile("big.pdf", PDF + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1))
    with pytest.raises(ApplicationError, match="at most 10 MB"):
        attachment_check(big)
    exactly = SimpleUploadedFile("ok.pdf", PDF + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PDF)))
    assert attachment_check(exactly) == "application/pdf"


def test_the_demo_pdf_is_a_valid_pdf():
    pdf = demo_pdf(title="Office Supplies Co", lines=["Invoice no.: OFF-1", "Total £12.00"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[xref:].startswith(b"xref"), "startxref points at the cross-reference table"
    first = pdf.index(b"1 0 obj")
    assert f"{first:010d} 00000 n".encode() in pdf


def test_upload_page_creates_an_item_with_its_attachment(client, world, connect):
    connect(world.a, "xero")
    client.force_login(world.users["standard"])
    response = client.post(
        page("item_upload", world.a),
        {
            "attachment": SimpleUploadedFile("bill.pdf", PDF),
            "kind": "cost",
            "contact_name": "Corner Hardware",
            "date": "2026-11-20",
            "currency": "GBP",
            "total": "36.00",
            "category": "429 General Expenses",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = Item.objects.for_business(world.a).get()
    assert response["Location"] == page("item_detail", world.a, item_id=item.id)
    assert item.state == ItemState.READY and item.supplier.name == "Corner Hardware"
    assert item.attachment.name.endswith(".pdf")
    assert item.created_by == world.users["standard"]


def test_upload_page_refuses_a_bad_file_with_a_clear_message(client, world):
    client.force_login(world.users["standard"])
    response = client.post(
        page("item_upload", world.a),
        {"attachment": SimpleUploadedFile("bill.pdf", b"not a pdf"), "kind": "cost", "currency": "GBP"},
    )
    assert response.status_code == 400
    assert "Only PDF, PNG, JPEG, GIF and WebP files can be attached" in response.content.decode()
    assert not Item.objects.for_business(world.a).exists()


def test_upload_needs_a_file(client, world):
    client.force_login(world.users["standard"])
    response = client.post(page("item_upload", world.a), {"kind": "cost", "currency": "GBP"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_the_attachment_is_served_through_a_tenant_checked_view(client, world):
    item = make_item(world.a, attachment=SimpleUploadedFile("x.png", PNG))
    client.force_login(world.users["standard"])
    response = client.get(page("item_attachment", world.a, item_id=item.id))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Frame-Options"] == "SAMEORIGIN", "the item page shows it in a frame"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG

    client.force_login(world.users["b_admin"])
    assert client.get(page("item_attachment", world.a, item_id=item.id)).status_code == 404
    assert client.get(page("item_attachment", world.b, item_id=item.id)).status_code == 404, "item of A leaked via B"


def test_item_page_shows_a_pdf_in_a_frame_and_an_image_in_an_img(client, world):
    """A frame, not an <object>: the Content-Security-Policy will allow no plugins (object-src 'none')."""
    pdf_item = make_item(world.a, attachment=SimpleUploadedFile("bill.pdf", PDF))
    png_item = make_item(world.a, attachment=SimpleUploadedFile("photo.png", PNG))
    client.force_login(world.users["standard"])
    pdf_page = client.get(page("item_detail", world.a, item_id=pdf_item.id)).content.decode()
    assert f'<iframe src="{page("item_attachment", world.a, item_id=pdf_item.id)}" title="Attachment bill' in pdf_page
    assert "<object" not in pdf_page
    png_page = client.get(page("item_detail", world.a, item_id=png_item.id)).content.decode()
    assert f'<img src="{page("item_attachment", world.a, item_id=png_item.id)}"' in png_page
    assert "/media/" not in pdf_page + png_page, "never a public media URL"


def test_replacing_the_attachment_is_checked_and_recorded(client, world):
    item = make_item(world.a, attachment=SimpleUploadedFile("bill.pdf", PDF))
    client.force_login(world.users["standard"])
    response = client.post(
        page("item_attachment", world.a, item_id=item.id),
        {"attachment": SimpleUploadedFile("x.pdf", b"nope")},
        follow=True,
    )
    assert "Only PDF, PNG, JPEG, GIF and WebP files can be attached" in response.content.decode()
    client.post(page("item_attachment", world.a, item_id=item.id), {"attachment": SimpleUploadedFile("new.png", PNG)})
    item.refresh_from_db()
    assert item.attachment.name.endswith(".png")
    assert ItemHistory.objects.for_business(world.a).filter(item=item, field="attachment").count() == 1
