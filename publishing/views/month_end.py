"""The practice's month-end page: a page of the clients the user reaches, refreshing itself (htmx) while anything
is queued or publishing, and "Publish all ready items" per client or for all of them."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from publishing.month_end import month_end_page, month_end_publish
from publishing.presenters import eta_words
from publishing.views._common import safe_next

PAGE_SIZE = 25
POLL_SECONDS = 3


QUEUING_KEY = "month_end_queuing_until"
QUEUING_SECONDS = 60  # how long the page watches for work that tasks are queuing (nothing in flight yet)


def summary_words(clients, *, queuing: bool = False) -> str:
    """What the live region reads out: the page's totals, in one sentence."""
    total = {
        name: sum(getattr(c, name) for c in clients)
        for name in ("queued", "publishing", "published_today", "failed", "ready")
    }
    busy = sum(1 for c in clients if c.in_flight)
    if busy:
        head = f"{busy} of {len(clients)} clients publishing"
    elif queuing:
        head = f"Queuing the ready items of {len(clients)} clients"
    else:
        head = f"Nothing publishing for {len(clients)} clients"
    return (
        f"{head}: {total['queued']} queued, {total['publishing']} publishing, {total['published_today']} published"
        f" today, {total['failed']} failed, {total['ready']} ready."
    )


class MonthEndView(LoginRequiredMixin, View):
    def get(self, request):
        cursor = request.GET.get("cursor") or None
        clients, next_cursor = month_end_page(user=request.user, cursor=cursor, size=PAGE_SIZE)
        for client in clients:
            client.eta_text = client.waiting_reason or eta_words(client.eta, lead="By")
        ready_total = sum(c.ready for c in clients if c.can_publish)
        # Work handed to tasks (Publish all ready items of many): watched for a while although nothing is queued yet.
        queuing = request.session.get(QUEUING_KEY, 0) > time.time() and ready_total > 0
        in_flight = any(c.in_flight for c in clients) or queuing
        base = reverse("month_end")
        context = {
            "clients": clients,
            "summary": summary_words(clients, queuing=queuing),
            "in_flight": in_flight,
            "poll_seconds": POLL_SECONDS,
            "poll_url": f"{base}?cursor={cursor}" if cursor else base,
            "next_url": f"{base}?cursor={next_cursor}" if next_cursor else "",
            "first_url": base if cursor else "",
            "ready_total": ready_total,
            "current_url": request.get_full_path(),
        }
        if request.headers.get("HX-Request"):
            return render(request, "publishing/_month_end_body.html", {**context, "oob": True})
        return render(request, "publishing/month_end.html", context)


class MonthEndPublishView(LoginRequiredMixin, View):
    def post(self, request):
        back = safe_next(request, reverse("month_end"))
        business = request.POST.get("business")
        # A client the user does not reach answers the 404 page, a role that may not publish the 403 page.
        done = month_end_publish(user=request.user, business_ids=[business] if business else None)
        queued = sum(d.queued for d in done)
        refused = sum(d.refused for d in done)
        who = done[0].business.name if business and done else f"{len(done)} clients"
        if any(d.in_background for d in done):
            request.session[QUEUING_KEY] = time.time() + QUEUING_SECONDS
            words = f"{queued} ready item{'s' if queued != 1 else ''} of {who} are being queued for publishing."
        else:
            words = f"{queued} ready item{'s' if queued != 1 else ''} of {who} queued for publishing."
        if refused:
            words += f" {refused} could not be queued; open them to see why."
        messages.success(request, words)
        return redirect(back)
