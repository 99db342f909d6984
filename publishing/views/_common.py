"""What the page views share: where a list lives, the safe "next" of a form, an item's URL."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from publishing.models import ItemKind

PAGE_SIZE = 50
LIST_URLS = {ItemKind.COST: "costs_inbox", ItemKind.EXPENSE_CLAIM: "expense_claims_list", ItemKind.SALES: "sales_list"}


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def item_url(business, item) -> str:
    return reverse("item_detail", kwargs={"business_id": business.id, "item_id": item.pk})
