"""OAuth 2.0 authorization-code flow shared by Xero, QuickBooks Online and ApprovalMax.

What differs between them is a :class:`Policy` (each provider's folder declares its own; ``policies.POLICIES``
has them by provider): token lifetimes, whether refresh tokens rotate and
for how long the previous one keeps working, the ``token_type`` spelling, and whether a client
secret is required (QuickBooks: always, Basic auth) or PKCE may stand in for it (Xero, ApprovalMax).

Client credentials: ``settings.SANDBOX_CLIENTS`` may map client ids to secrets (``{"id": "secret"}``
or ``{"id": {"secret": "…", "name": "App name"}}``); without it any non-empty client id is accepted
and any non-empty secret goes.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, transaction

from integrations.sandbox import clock
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import AuthorizationCode, Grant, Organisation, Token, TokenKind
from integrations.sandbox.organisations import organisations_for

CODE_TTL = timedelta(minutes=5)
DEFAULT_APP_NAME = "Dext Connections"


@dataclass(frozen=True)
class Policy:
    provider: str
    name: str
    access_ttl: int
    refresh_ttl: timedelta
    # None: a new refresh token on every refresh; else only once the current one is this old.
    rotate_after: timedelta | None
    grace: timedelta
    token_type: str
    secret_required: bool
    multi_org: bool
    jwt_access: bool
    scope_in_answer: bool = True
    refresh_needs_offline_access: bool = True
    realm_in_redirect: bool = False
    # The token answer says how long the refresh token lives (Intuit's ``x_refresh_token_expires_in``).
    refresh_expiry_in_answer: bool = False
    brand: str = "other"  # the consent page's colours
    scope_descriptions: dict[str, str] = field(default_factory=dict)
    # Scopes this app may not ask for (Xero: apps created from March 2026 and ``accounting.transactions``): the
    # authorize request goes back with ``invalid_scope``.
    refused_scopes: frozenset[str] = frozenset()


# --- clients ---


def _configured_clients() -> dict | None:
    return getattr(settings, "SANDBOX_CLIENTS", None)


def _client_secret(client_id: str) -> str | None:
    entry = (_configured_clients() or {}).get(client_id)
    return entry.get("secret") if isinstance(entry, dict) else entry


def client_known(client_id: str) -> bool:
    clients = _configured_clients()
    return bool(client_id) and (clients is None or client_id in clients)


def client_app_name(client_id: str) -> str:
    entry = (_configured_clients() or {}).get(client_id)
    return (entry.get("name") if isinstance(entry, dict) else None) or DEFAULT_APP_NAME


def _oauth_error(error: str, description: str = "", status: int = 400) -> SandboxError:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return SandboxError(status, body)


def _client_authenticate(policy: Policy, *, authorization: str | None, form: dict) -> tuple[str, bool]:
    """The client id, and whether a secret was presented (and matched)."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise _oauth_error("invalid_client", status=401) from None
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote(basic_id), unquote(basic_secret)
    if not client_known(client_id):
        raise _oauth_error("invalid_client", status=401)
    expected = _client_secret(client_id)
    if secret and expected is not None and not hmac.compare_digest(secret, expected):
        raise _oauth_error("invalid_client", status=401)
    if not secret and policy.secret_required:
        raise _oauth_error("invalid_client", status=401)
    return client_id, bool(secret)


# --- the authorize page ---


class AuthorizeError(Exception):
    """Refused before consent: shown as an error page, or (``redirect``) sent back to the client."""

    def __init__(self, message: str, redirect: str | None = None):
        super().__init__(message)
        self.message = message
        self.redirect = redirect


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    code_challenge_method: str

    def hidden_fields(self) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_allowed(redirect_uri: str, *, callbacks: set[str]) -> bool:
    """Like a real provider, which sends people back only to the redirect URIs registered for the app: here the
    product's own OAuth callbacks (``callbacks``, absolute URLs, compared without their query)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return False
    return urlunsplit(parts._replace(query="")) in callbacks


def authorize_request_check(policy: Policy, *, params: dict, callbacks: set[str]) -> AuthorizeRequest:
    """Check an authorize request; nothing is sent back to a redirect_uri that is not one of ``callbacks``."""
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if not client_known(client_id):
        raise AuthorizeError(f"The client id “{client_id}” is not known to the {policy.name} sandbox.")
    if not redirect_allowed(redirect_uri, callbacks=callbacks):
        raise AuthorizeError("The redirect_uri is not one registered for this app.")
    state = params.get("state", "")

    def back(error: str) -> AuthorizeError:
        return AuthorizeError(error, redirect=_with_query(redirect_uri, {"error": error, "state": state}))

    if params.get("response_type") != "code":
        raise back("unsupported_response_type")
    if not params.get("scope", "").split() or set(params["scope"].split()) & policy.refused_scopes:
        raise back("invalid_scope")
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
    if (challenge or method) and (method != "S256" or not 43 <= len(challenge) <= 128):
        raise back("invalid_request")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(params["scope"].split()),
        state=state,
        code_challenge=challenge,
        code_challenge_method=method,
    )


def authorize_organisations(policy: Policy, *, chosen: list[str], count: int = 1) -> list[Organisation]:
    """The organisations to grant: those chosen on the form, else the first ``count``."""
    offered = organisations_for(policy.provider)
    picked = [o for o in offered if o.external_id in chosen] if chosen else offered[: max(count, 1)]
    return picked[:1] if not policy.multi_org else picked


def authorize_decide(
    policy: Policy, request: AuthorizeRequest, *, allow: bool, organisations: list[Organisation]
) -> str:
    """Record the consent (or refusal) and answer the URL to send the browser back to."""
    if not allow:
        return _with_query(request.redirect_uri, {"error": "access_denied", "state": request.state})
    now = clock.now()
    with transaction.atomic():
        grant = Grant.objects.create(
            provider=policy.provider,
            client_id=request.client_id,
            scope=request.scope,
            pkce=bool(request.code_challenge),
            auth_event_id=uuid.uuid4(),
            created_at=now,
        )
        grant.organisations.set(organisations)
        code = AuthorizationCode.objects.create(
            code=secrets.token_urlsafe(32),
            grant=grant,
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            expires_at=now + CODE_TTL,
        )
    params = {"code": code.code, "state": request.state}
    if policy.realm_in_redirect:
        params["realmId"] = organisations[0].external_id
    return _with_query(request.redirect_uri, params)


# --- the token endpoint ---


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict) -> str:
    """An HS256 JWT, so clients that decode access tokens (as Xero suggests) find real claims."""
    key = hashlib.sha256(f"sandbox-jwt:{settings.SECRET_KEY}".encode()).digest()
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64url(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def _issue_access(policy: Policy, grant: Grant) -> Token:
    now = clock.now()
    expires_at = now + timedelta(seconds=policy.access_ttl)
    if policy.jwt_access:
        value = _jwt(
            {
                "iss": f"{settings.SITE_URL}/sandbox/{policy.provider}",
                "nbf": int(now.timestamp()),
                "iat": int(now.timestamp()),
                "exp": int(expires_at.timestamp()),
                "client_id": grant.client_id,
                "sub": str(uuid.uuid5(grant.auth_event_id, "user")),
                "authentication_event_id": str(grant.auth_event_id),
                "scope": grant.scopes,
                "jti": secrets.token_hex(16),
            }
        )
    else:
        value = secrets.token_urlsafe(48)
    return Token.objects.create(kind=TokenKind.ACCESS, value=value, grant=grant, issued_at=now, expires_at=expires_at)


def _issue_refresh(policy: Policy, grant: Grant, rotated_from: Token | None = None) -> Token:
    now = clock.now()
    return Token.objects.create(
        kind=TokenKind.REFRESH,
        value=secrets.token_urlsafe(48),
        grant=grant,
        issued_at=now,
        expires_at=now + policy.refresh_ttl,
        rotated_from=rotated_from,
    )


def _answer(policy: Policy, grant: Grant, access: Token, refresh: Token | None) -> dict:
    answer = {
        "access_token": access.value,
        "expires_in": policy.access_ttl,
        "token_type": policy.token_type,
    }
    if refresh is not None:
        answer["refresh_token"] = refresh.value
        if policy.refresh_expiry_in_answer:
            answer["x_refresh_token_expires_in"] = int((refresh.expires_at - clock.now()).total_seconds())
    if policy.scope_in_answer:
        answer["scope"] = grant.scope
    return answer


def _pkce_ok(code: AuthorizationCode, verifier: str) -> bool:
    if not verifier:
        return False
    expected = _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
    return hmac.compare_digest(expected, code.code_challenge)


def token_exchange(policy: Policy, *, authorization: str | None, form: dict) -> dict:
    """``grant_type=authorization_code`` or ``refresh_token``: the token answer, or an OAuth error."""
    grant_type = form.get("grant_type", "")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise _oauth_error("unsupported_grant_type")
    client_id, has_secret = _client_authenticate(policy, authorization=authorization, form=form)
    with transaction.atomic():
        if grant_type == "authorization_code":
            return _code_redeem(policy, client_id=client_id, has_secret=has_secret, form=form)
        return _refresh(policy, client_id=client_id, has_secret=has_secret, value=form.get("refresh_token", ""))


def _code_redeem(policy: Policy, *, client_id: str, has_secret: bool, form: dict) -> dict:
    now = clock.now()
    code = (
        AuthorizationCode.objects.select_for_update()
        .select_related("grant")
        .filter(code=form.get("code", ""), grant__provider=policy.provider)
        .first()
    )
    if code is None or code.used_at or code.expires_at <= now or code.grant.revoked_at:
        raise _oauth_error("invalid_grant")
    if code.client_id != client_id or form.get("redirect_uri", "") != code.redirect_uri:
        raise _oauth_error("invalid_grant")
    if code.code_challenge:
        if not _pkce_ok(code, form.get("code_verifier", "")):
            raise _oauth_error("invalid_grant", "PKCE verification failed")
    elif not has_secret:
        raise _oauth_error("invalid_client", status=401)
    code.used_at = now
    code.save(update_fields=["used_at"])
    grant = code.grant
    access = _issue_access(policy, grant)
    refresh = None
    if not policy.refresh_needs_offline_access or "offline_access" in grant.scopes:
        refresh = _issue_refresh(policy, grant)
    return _answer(policy, grant, access, refresh)


def _refresh(policy: Policy, *, client_id: str, has_secret: bool, value: str) -> dict:
    now = clock.now()
    old = (
        Token.objects.select_for_update()
        .select_related("grant")
        .filter(kind=TokenKind.REFRESH, value=value, grant__provider=policy.provider)
        .first()
    )
    if old is None or old.revoked_at or old.grant.revoked_at or old.expires_at <= now:
        raise _oauth_error("invalid_grant")
    if old.replaced_at is not None and now >= old.replaced_at + policy.grace:
        raise _oauth_error("invalid_grant")
    grant = old.grant
    if grant.client_id != client_id:
        raise _oauth_error("invalid_grant")
    if not has_secret and not grant.pkce:
        raise _oauth_error("invalid_client", status=401)
    rotate = policy.rotate_after is None or old.replaced_at is not None or now - old.issued_at >= policy.rotate_after
    if rotate:
        refresh = _issue_refresh(policy, grant, rotated_from=old)
        if old.replaced_at is None:
            old.replaced_at = now
            old.save(update_fields=["replaced_at"])
    else:  # the same refresh token, its lifetime rolling on
        old.expires_at = now + policy.refresh_ttl
        old.save(update_fields=["expires_at"])
        refresh = old
    return _answer(policy, grant, _issue_access(policy, grant), refresh)


def token_revoke(policy: Policy, *, authorization: str | None, form: dict) -> None:
    """RFC 7009: revoking a refresh token ends the whole grant; unknown tokens are no error."""
    _client_authenticate(policy, authorization=authorization, form=form)
    token = Token.objects.filter(value=form.get("token", ""), grant__provider=policy.provider).first()
    if token is not None:
        if token.kind == TokenKind.REFRESH:
            Grant.objects.filter(pk=token.grant_id).update(revoked_at=clock.now())
        else:
            Token.objects.filter(pk=token.pk).update(revoked_at=clock.now())


# --- bearer checks on API calls ---


class TokenRefused(Exception):
    """``reason`` is ``missing``, ``invalid`` or ``expired``; each provider words its own 401."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@cache
def _access_query() -> tuple[str, list[tuple[type, list[str]]]]:
    """The SQL of ``access_check`` and, per model, the attribute names of its columns in the row, in order."""
    layout = [(model, [f.attname for f in model._meta.concrete_fields]) for model in (Token, Grant, Organisation)]
    columns = ", ".join(
        f"{alias}.{field.column}"
        for alias, model in zip("tgo", (Token, Grant, Organisation), strict=True)
        for field in model._meta.concrete_fields
    )
    sql = (
        f"SELECT {columns} "  # noqa: S608
        f"FROM {Token._meta.db_table} t JOIN {Grant._meta.db_table} g ON g.id = t.grant_id "
        f"LEFT JOIN LATERAL (SELECT o.* FROM {Organisation._meta.db_table} o "
        f"JOIN {Grant.organisations.through._meta.db_table} go ON go.organisation_id = o.id "
        "WHERE go.grant_id = g.id AND o.external_id = %s LIMIT 1) o ON TRUE "
        "WHERE t.kind = %s AND t.value = %s AND g.provider = %s"
    )
    return sql, layout


def access_check(
    policy: Policy, *, authorization: str | None, organisation_id: str | None = None
) -> tuple[Token, Organisation | None]:
    """The access token of an API call, with its grant, and the organisation ``organisation_id`` names when the
    grant includes it (None otherwise). One query: every API call of every provider starts here."""
    if not authorization or not authorization[:7].lower() == "bearer ":
        raise TokenRefused("missing")
    wanted = (organisation_id or "").strip().lower()
    sql, layout = _access_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [wanted, TokenKind.ACCESS, authorization[7:].strip(), policy.provider])
        row = cursor.fetchone()
    if row is None:
        raise TokenRefused("invalid")
    parts, at = [], 0
    for model, names in layout:
        parts.append((model, names, row[at : at + len(names)]))
        at += len(names)
    token, grant = (model.from_db("default", names, values) for model, names, values in parts[:2])
    token.grant = grant
    if token.revoked_at or grant.revoked_at:
        raise TokenRefused("invalid")
    if token.expires_at <= clock.now():
        raise TokenRefused("expired")
    model, names, values = parts[2]
    organisation = model.from_db("default", names, values) if wanted and values[0] is not None else None
    return token, organisation


# --- faults that act on tokens ---


def access_tokens_expire(provider: str) -> int:
    now = clock.now()
    return Token.objects.filter(grant__provider=provider, kind=TokenKind.ACCESS, expires_at__gt=now).update(
        expires_at=now
    )


def organisations_disconnect(provider: str) -> int:
    """Every organisation takes its access away (Xero's "Disconnect" under Connected apps): the grants' tokens stay
    valid, but reach no organisation any more. Answers how many grants lost organisations."""
    grants = Grant.objects.filter(provider=provider, organisations__isnull=False).distinct()
    count = 0
    for grant in grants:
        grant.organisations.clear()
        count += 1
    return count


def refresh_tokens_revoke(provider: str) -> int:
    return Token.objects.filter(grant__provider=provider, kind=TokenKind.REFRESH, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
