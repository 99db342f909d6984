"""What each Web Connector call does: sign-in, handing out qbXML requests, recording responses.

The Web Connector is not a signed-in user, so its first call, ``authenticate``, finds the
connection across every tenant by user name (and then checks the password). From there on the
ticket stands for that one connection, and the work source is only ever asked about it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dext_connections.throttle import FailureWindow, address_subject
from integrations.models import Connection, ConnectionStatus
from integrations.providers import registry
from integrations.providers.base import AuthKind
from integrations.qbwc.credentials import hash_password, username_matches, verify_password
from integrations.qbwc.models import WebConnectorSession
from integrations.qbwc.queue import get_work_source

logger = logging.getLogger(__name__)

SERVER_VERSION = "1.0.0"
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
QBXML_MAJOR_VERSION_NEEDED = 13
# "QuickBooks found an error when parsing the provided XML text stream": that request's fault, not the session's.
PARSE_ERROR_HRESULT = "0X80040400"

# authenticate()'s second string, as the Web Connector reads it.
WORK_WAITING = ""  # use the company file open in QuickBooks
NOTHING_TO_DO = "none"
NOT_VALID_USER = "nvu"

UNKNOWN_TICKET = "This Web Connector session has ended or expired; it will start again at the next scheduled run."
CONNECTION_INACTIVE = "This QuickBooks Desktop connection is no longer active. Reconnect it in Dext Connections."


def web_connector_server_version() -> str:
    return SERVER_VERSION


def web_connector_client_version(*, version: str) -> str:
    """Every Web Connector version is accepted (``""``); ``"W:…"`` would warn, ``"E:…"`` refuse."""
    return ""


def web_connector_authenticate(*, username: str, password: str, client_address: str = "") -> list[str]:
    """``[ticket, ""]`` when work waits, ``[ticket, "none"]`` when none does, ``["", "nvu"]`` when refused.

    Refused: an unknown user name, a wrong password, or a connection that is not active; the
    answer does not say which.

    Failed sign-ins are counted per client address (``QBWC_AUTH_FAILURE_LIMIT`` within
    ``QBWC_AUTH_FAILURE_WINDOW_SECONDS``, in the shared cache). Past the limit the answer is ``nvu``
    without any look-up: it is the refusal every Web Connector version understands (it ends the run,
    shows "invalid user" and tries again at the next scheduled run), and a guesser cannot tell it from
    a wrong password, so guesses made while blocked are wasted. Not counted: a sign-in as a connection
    that is no longer active with its right password, or as a disconnected one (whose password is gone,
    so no guess can succeed): a Web Connector still polling after a disconnect must not lock out the
    others behind the same address. A success does not clear the count.
    """
    failures, caller = _authenticate_failures(), address_subject(client_address)
    if failures.blocked_for(caller):
        logger.warning("Web Connector sign-in refused unchecked: too many failures from this address")
        return ["", NOT_VALID_USER]
    login = _connection_for_login_across_tenants(username=username, password=password)
    connection = login.connection
    if connection is None or connection.status != ConnectionStatus.ACTIVE:
        if connection is None and not login.only_disconnected:
            failures.record(caller)
        logger.info("Web Connector sign-in refused", extra={"qbwc_username": username[:100]})
        return ["", NOT_VALID_USER]
    if get_work_source().remaining(connection) <= 0:
        # Nothing to do: the Web Connector makes no further call, so no session row is kept.
        return [str(uuid.uuid4()), NOTHING_TO_DO]
    session = WebConnectorSession.objects.create(business_id=connection.business_id, connection=connection)
    return [str(session.ticket), WORK_WAITING]


def _authenticate_failures() -> FailureWindow:
    return FailureWindow(
        "qbwc-authenticate", settings.QBWC_AUTH_FAILURE_LIMIT, settings.QBWC_AUTH_FAILURE_WINDOW_SECONDS
    )


def web_connector_send_request(
    *,
    ticket: str,
    hcp_response: str = "",
    company_file: str = "",
    country: str = "",
    major_version: int = 0,
    minor_version: int = 0,
) -> str:
    """The next qbXML request for the ticket's connection, or ``""`` (then ``getLastError`` says why).

    ``hcp_response`` (QuickBooks' host, company and preferences, first call only) and ``country``
    are accepted and not used yet.
    """
    with transaction.atomic():
        session = _open_session(ticket, for_update=True)
        if session is None:
            return ""
        connection = session.connection
        if company_file and not session.company_file:
            session.company_file = company_file[:500]
        if connection.status != ConnectionStatus.ACTIVE:
            return _fail(session, CONNECTION_INACTIVE, result="")
        if major_version and major_version < QBXML_MAJOR_VERSION_NEEDED:
            return _fail(
                session,
                f"This QuickBooks understands qbXML {major_version}.{minor_version}; Dext Connections needs "
                f"qbXML {QBXML_MAJOR_VERSION_NEEDED}.0 (QuickBooks Desktop 2014 or later).",
                result="",
            )
        work = get_work_source().next_request(connection)
        session.pending_request_key = work[0] if work else ""
        session.save(update_fields=["company_file", "pending_request_key", "last_seen_at"])
        return work[1] if work else ""


def web_connector_receive_response(*, ticket: str, response: str, hresult: str = "", message: str = "") -> int:
    """Hand QuickBooks' answer to the work source: percent done (100: nothing left), or -1 when the session cannot
    go on (then ``getLastError`` says why and the Web Connector ends the run).

    A request QuickBooks refused (a status code in its answer) or could not parse (HRESULT ``0x80040400``) is a
    failure of the work it was for, which its source records; the session carries on with the next request. Any
    other HRESULT says QuickBooks cannot work now: the run ends and the request goes again at the next run.
    """
    with transaction.atomic():
        session = _open_session(ticket, for_update=True)
        if session is None:
            return -1
        connection = session.connection
        request_key, session.pending_request_key = session.pending_request_key, ""
        source = get_work_source()
        if connection.status != ConnectionStatus.ACTIVE:
            error = CONNECTION_INACTIVE
        elif not request_key:
            error = "QuickBooks sent a response, but no request was waiting for one."
        elif hresult and hresult.strip().upper() == PARSE_ERROR_HRESULT:
            # QuickBooks could not read that one request: its work failed, the session goes on.
            source.request_failed(
                connection, request_key, f"QuickBooks could not read the request ({hresult}): {message}"
            )
            error = None
        elif hresult:
            # QuickBooks itself is in no state to work (closed, busy, a dialog open…): the request waits for the next
            # run (its source hands it out again), and the Web Connector shows why this one stopped.
            error = f"QuickBooks could not process the request ({hresult}): {message}".strip()
        else:
            error = source.apply_response(connection, request_key, response or "")
        if error:
            return _fail(session, error, result=-1)
        session.completed_requests += 1
        session.save(update_fields=["pending_request_key", "completed_requests", "last_seen_at"])
        done, remaining = session.completed_requests, source.remaining(connection)
    if remaining <= 0:
        return 100
    return max(1, min(99, done * 100 // (done + remaining)))


def web_connector_connection_error(*, ticket: str, hresult: str, message: str) -> str:
    """QuickBooks could not be reached (not installed, company file not open…). Always ``"done"``."""
    with transaction.atomic():
        session = _open_session(ticket, for_update=True)
        if session is not None:
            session.pending_request_key = ""
            _fail(session, f"The Web Connector could not open QuickBooks ({hresult}): {message}".strip(), result=None)
    return "done"


def web_connector_last_error(*, ticket: str) -> str:
    session = _session(ticket)
    return UNKNOWN_TICKET if session is None else session.last_error


def web_connector_close(*, ticket: str) -> str:
    ticket_id = _ticket_uuid(ticket)
    if ticket_id is not None:
        WebConnectorSession.objects.unscoped().filter(ticket=ticket_id, closed_at__isnull=True).update(
            closed_at=timezone.now(), pending_request_key=""
        )
    return "OK"


def web_connector_ticket_is_open(*, ticket: str | None) -> bool:
    """Whether ``ticket`` belongs to a session that is open (not closed, not idle too long)."""
    ticket_id = _ticket_uuid(ticket)
    return ticket_id is not None and _open_sessions(ticket_id).exists()


def web_connector_sessions_prune(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete sessions older than ``older_than`` (for a periodic task); returns how many."""
    cutoff = timezone.now() - older_than
    deleted, _ = WebConnectorSession.objects.unscoped().filter(created_at__lt=cutoff).delete()
    return deleted


# --- internals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Login:
    connection: Connection | None  # whose user name and password these are: an active one first
    only_disconnected: bool = False  # no match, and the user name belongs to disconnected connections only


def _connection_for_login_across_tenants(*, username: str, password: str) -> _Login:
    """The connection whose Web Connector user name and password these are, in any business: an
    active one if there is one, else one that is no longer active (the caller refuses it).

    Deliberately unscoped: nobody is signed in, so there is no business to scope by yet. The user
    name narrows the search (``external_tenant_id``; see ``credentials.py``); the stored user name
    and the password hash decide.
    """
    if not username or not password:
        return _Login(connection=None)
    candidates = list(
        Connection.objects.unscoped()
        .filter(provider__in=_web_connector_providers(), external_tenant_id=username)
        .order_by("-connected_at")
    )
    inactive = None
    for candidate in candidates:
        if not username_matches(candidate, username):
            continue
        check = verify_password(candidate, password)
        if not check.ok:
            continue
        if check.rehash:
            _password_hash_upgrade(candidate, password)
        if candidate.status == ConnectionStatus.ACTIVE:
            return _Login(connection=candidate)
        inactive = inactive or candidate
    if not candidates:
        hash_password(password)  # do the work a real check does: do not reveal which user names exist
    retired = bool(candidates) and all(c.status == ConnectionStatus.DISCONNECTED for c in candidates)
    return _Login(connection=inactive, only_disconnected=retired)


def _web_connector_providers() -> list[str]:
    return [p.key for p in registry.all_providers() if p.auth is AuthKind.WEB_CONNECTOR]


def _password_hash_upgrade(connection: Connection, password: str) -> None:
    """Store the right ``password``'s hash in the current form (an HMAC under the current SECRET_KEY)."""
    connection.credentials = {**(connection.credentials or {}), "password_hash": hash_password(password)}
    connection.save(update_fields=["credentials"])
    logger.info("Web Connector password hash upgraded", extra={"connection_id": str(connection.id)})


def _ticket_uuid(ticket: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(ticket))
    except (TypeError, ValueError):
        return None


def _session(ticket: str) -> WebConnectorSession | None:
    ticket_id = _ticket_uuid(ticket)
    if ticket_id is None:
        return None
    # Unscoped: the ticket itself is the proof of which business this is.
    return WebConnectorSession.objects.unscoped().filter(ticket=ticket_id).first()


def _open_sessions(ticket_id: uuid.UUID):
    return WebConnectorSession.objects.unscoped().filter(
        ticket=ticket_id, closed_at__isnull=True, last_seen_at__gte=timezone.now() - SESSION_IDLE_TIMEOUT
    )


def _open_session(ticket: str, *, for_update: bool = False) -> WebConnectorSession | None:
    ticket_id = _ticket_uuid(ticket)
    if ticket_id is None:
        return None
    sessions = _open_sessions(ticket_id)
    if for_update:
        sessions = sessions.select_for_update(of=("self",))
    return sessions.select_related("connection").first()


def _fail(session: WebConnectorSession, error: str, *, result):
    session.last_error = error
    session.save(update_fields=["last_error", "company_file", "pending_request_key", "last_seen_at"])
    logger.info("Web Connector request failed", extra={"connection_id": str(session.connection_id)})
    return result
