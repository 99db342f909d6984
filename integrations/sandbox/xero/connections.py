"""Xero's ``/connections``: the organisations (tenants) a grant reaches, and disconnecting one."""

import uuid

from integrations.sandbox.xero.api import Call, not_found


def _xero_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def connections_list(*, call: Call) -> list[dict]:
    grant = call.grant
    return [
        {
            "id": str(uuid.uuid5(grant.auth_event_id, organisation.external_id)),
            "authEventId": str(grant.auth_event_id),
            "tenantId": organisation.external_id,
            "tenantType": "ORGANISATION",
            "tenantName": organisation.name,
            "createdDateUtc": _xero_time(grant.created_at),
            "updatedDateUtc": _xero_time(grant.created_at),
        }
        for organisation in grant.organisations.order_by("position")
    ]


def connection_delete(*, call: Call, connection_id: str) -> None:
    for organisation in call.grant.organisations.all():
        if str(uuid.uuid5(call.grant.auth_event_id, organisation.external_id)) == connection_id:
            call.grant.organisations.remove(organisation)
            return
    raise not_found()
