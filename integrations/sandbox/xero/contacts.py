"""Xero's contacts: listing, creating and updating them, and the contact a document names (by id, or by name:
matched case-insensitively or created, as Xero does).

``GET /Contacts`` leaves ARCHIVED contacts out unless ``includeArchived=true``, honours ``If-Modified-Since`` (only
contacts changed after it) and, with ``page=n``, answers 100 contacts a page. An organisation starts with the
contacts of ``constants.CONTACTS`` (made on first use, with fixed ids)."""

import uuid

from integrations.sandbox import clock
from integrations.sandbox.models import Contact, Organisation
from integrations.sandbox.values import ms_date
from integrations.sandbox.xero import constants
from integrations.sandbox.xero.api import Call, envelope, not_found, save_all
from integrations.sandbox.xero.constants import XERO
from integrations.sandbox.xero.reference import since_parse
from integrations.sandbox.xero.where import filtered, paged


def contacts_seed(organisation: Organisation) -> None:
    """The organisation's existing contacts, made once."""
    ids = {
        name: str(uuid.uuid5(uuid.UUID(organisation.external_id), f"contact:{name}")) for name, *_ in constants.CONTACTS
    }
    if Contact.objects.filter(provider=XERO, organisation=organisation, external_id__in=ids.values()).exists():
        return
    at = organisation.created_at
    Contact.objects.bulk_create(
        [
            Contact(
                provider=XERO,
                organisation=organisation,
                kind="Contact",
                external_id=ids[name],
                name=name,
                body={
                    "ContactID": ids[name],
                    "Name": name,
                    "ContactStatus": status,
                    "IsSupplier": supplier,
                    "IsCustomer": customer,
                    "HasAttachments": False,
                    "UpdatedDateUTC": ms_date(at),
                },
                created_at=at,
                updated_at=at,
            )
            for name, supplier, customer, status in constants.CONTACTS
        ],
        ignore_conflicts=True,
    )


def contacts_list(
    *,
    call: Call,
    where: str | None,
    ids: str | None,
    page: str | None,
    include_archived: bool = False,
    modified_since: str | None = None,
) -> dict:
    contacts_seed(call.organisation)
    rows = Contact.objects.filter(provider=XERO, organisation=call.organisation)
    since = since_parse(modified_since)
    if since is not None:
        rows = rows.filter(updated_at__gt=since)
    items = [c.body for c in rows.order_by("name", "id")]
    if not include_archived:
        items = [c for c in items if c.get("ContactStatus") != "ARCHIVED"]
    if ids:
        wanted = {i.strip().lower() for i in ids.split(",")}
        items = [c for c in items if c["ContactID"] in wanted]
    return envelope(call, "Contacts", paged(filtered(items, where), page))


def contact_detail(*, call: Call, contact_id: str) -> dict:
    contact = Contact.objects.filter(
        provider=XERO, organisation=call.organisation, external_id=contact_id.lower()
    ).first()
    if contact is None:
        raise not_found()
    return envelope(call, "Contacts", [contact.body])


def _contact_by_name(organisation: Organisation, name: str) -> Contact | None:
    contacts_seed(organisation)
    return Contact.objects.filter(provider=XERO, organisation=organisation, name__iexact=name.strip()).first()


def _contact_create(organisation: Organisation, element: dict) -> Contact:
    now = clock.now()
    contact_id = str(uuid.uuid4())
    body = {
        **element,
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE",
        "Name": element["Name"].strip(),
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "UpdatedDateUTC": ms_date(now),
    }
    return Contact.objects.create(
        provider=XERO,
        organisation=organisation,
        kind="Contact",
        external_id=contact_id,
        name=body["Name"],
        body=body,
        created_at=now,
        updated_at=now,
    )


def _contact_save(call: Call, element: dict, key: str = "") -> tuple[list[str], dict | None]:
    organisation = call.organisation
    existing = None
    if element.get("ContactID"):
        existing = Contact.objects.filter(
            provider=XERO, organisation=organisation, external_id=str(element["ContactID"]).lower()
        ).first()
        if existing is None:
            return ["The contact could not be found"], None
    name = element.get("Name", existing.name if existing else "")
    if not isinstance(name, str) or not name.strip():
        return ["The contact name must be specified"], None
    clash = _contact_by_name(organisation, name)
    if clash is not None and clash != existing:
        return [
            f"The contact name {name.strip()} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        ], None
    if existing is None:
        return [], _contact_create(organisation, element).body
    existing.body = {**existing.body, **element, "Name": name.strip(), "UpdatedDateUTC": ms_date(clock.now())}
    existing.name = name.strip()
    existing.updated_at = clock.now()
    existing.save()
    return [], existing.body


def contacts_save(*, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool) -> tuple[int, dict, bool]:
    return save_all(call, raw, "Contacts", _contact_save, idempotency_key, summarize_errors)


def contact_resolve(call: Call, given) -> tuple[list[str], Contact | dict | None]:
    """An existing Contact, or the element of one to create by name. Each is looked up once per request (a
    request of many documents names the same contact again and again); ``contact_link`` remembers the ones
    it makes."""
    if not isinstance(given, dict) or not (given.get("ContactID") or given.get("Name")):
        return ["A Contact must be specified for this type of transaction"], None
    organisation = call.organisation
    if given.get("ContactID"):
        contact_id = str(given["ContactID"]).lower()
        contact = call.unit.once(
            ("id", contact_id),
            lambda: Contact.objects.filter(provider=XERO, organisation=organisation, external_id=contact_id).first(),
        )
        if contact is None:
            return [f"Contact with ID {given['ContactID']} could not be found"], None
        return [], _canonical(call, contact)
    name = given["Name"]
    if not isinstance(name, str):
        return ["The contact name must be specified"], None
    contact = call.unit.once(("name", name.strip().lower()), lambda: _contact_by_name(organisation, name))
    return [], _canonical(call, contact) or {"Name": name}


def _canonical(call: Call, contact: Contact | None) -> Contact | None:
    """One object per contact row in a request, found by id or by name, so a change to it is seen by both."""
    return call.unit.once(("row", contact.pk), lambda: contact) if contact else None


def contact_link(call: Call, contact: Contact | dict, *, supplier: bool) -> dict:
    if isinstance(contact, dict):
        contact = _contact_create(call.organisation, contact)
        for key in (("name", contact.name.lower()), ("id", contact.external_id), ("row", contact.pk)):
            call.unit.remember(key, contact)
    flag = "IsSupplier" if supplier else "IsCustomer"
    if not contact.body.get(flag):
        contact.body[flag] = True
        contact.save(update_fields=["body"])
    return {"ContactID": contact.external_id, "Name": contact.name}
