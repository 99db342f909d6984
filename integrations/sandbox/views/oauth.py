"""The authorize page (consent) and the token and revocation endpoints of the OAuth providers."""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from integrations.sandbox import oauth
from integrations.sandbox.organisations import organisations_for
from integrations.sandbox.policies import POLICIES
from integrations.sandbox.views.common import respond, sandbox_view

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _consent(request: HttpRequest, policy: oauth.Policy, authorize: oauth.AuthorizeRequest, *, chosen, error=""):
    offered = organisations_for(policy.provider)
    if not chosen:
        try:
            count = int(request.GET.get("sandbox_orgs", "1"))
        except ValueError:
            count = 1
        chosen = [o.external_id for o in offered[: max(count, 1)]]
    scopes = [(s, policy.scope_descriptions.get(s, s)) for s in authorize.scope.split()]
    return render(
        request,
        "sandbox/consent.html",
        {
            "provider": policy,
            "app_name": oauth.client_app_name(authorize.client_id),
            "client_id": authorize.client_id,
            "redirect_host": authorize.redirect_uri.split("/")[2],
            "scopes": scopes,
            "organisations": [(o, o.external_id in chosen) for o in offered],
            "hidden": authorize.hidden_fields(),
            "error": error,
        },
        status=400 if error else 200,
    )


def product_callbacks(request: HttpRequest) -> set[str]:
    """The redirect URIs "registered" for the product: its OAuth callback at SITE_URL and at the host this request
    reached (one of ALLOWED_HOSTS, which Django has checked)."""
    path = reverse("oauth_callback")
    return {f"{settings.SITE_URL}{path}", request.build_absolute_uri(path)}


@sandbox_view("GET", "POST")
def authorize(request: HttpRequest, provider: str) -> HttpResponse:
    policy = POLICIES[provider]
    params = request.GET if request.method == "GET" else request.POST
    try:
        authorize_request = oauth.authorize_request_check(policy, params=params, callbacks=product_callbacks(request))
    except oauth.AuthorizeError as refused:
        if refused.redirect:
            return HttpResponseRedirect(refused.redirect)
        return render(
            request, "sandbox/authorize_error.html", {"provider": policy, "message": refused.message}, status=400
        )
    if request.method == "GET":
        return _consent(request, policy, authorize_request, chosen=[])
    chosen = request.POST.getlist("org")
    allow = request.POST.get("decision", "allow") == "allow"
    if allow and not chosen and request.POST.get("org_form"):
        return _consent(request, policy, authorize_request, chosen=[], error="Choose an organisation to connect.")
    try:
        count = int(request.POST.get("sandbox_orgs", "1"))
    except ValueError:
        count = 1
    organisations = oauth.authorize_organisations(policy, chosen=chosen, count=count)
    return HttpResponseRedirect(
        oauth.authorize_decide(policy, authorize_request, allow=allow, organisations=organisations)
    )


@sandbox_view("POST")
def token(request: HttpRequest, provider: str) -> HttpResponse:
    policy = POLICIES[provider]
    answer = oauth.token_exchange(policy, authorization=request.headers.get("Authorization"), form=request.POST)
    return respond(answer, headers=NO_STORE)


@sandbox_view("POST")
def revoke(request: HttpRequest, provider: str) -> HttpResponse:
    """RFC 7009's form body; Intuit's endpoint takes ``{"token": …}`` as JSON."""
    policy = POLICIES[provider]
    form = request.POST
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return respond({"error": "invalid_request"}, status=400)
        form = {k: v for k, v in body.items() if isinstance(v, str)}
    oauth.token_revoke(policy, authorization=request.headers.get("Authorization"), form=form)
    return HttpResponse(status=200)
