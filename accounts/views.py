from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.permissions import Via
from accounts.selectors import businesses_for_user


@login_required
def home(request):
    """Land on the Costs inbox of the user's only business, or let them choose."""
    accesses = businesses_for_user(user=request.user)
    if len(accesses) == 1:
        return redirect(reverse("costs_inbox", kwargs={"business_id": accesses[0].business.id}))
    return redirect("switch")


@login_required
def switch(request):
    """Every account the user can work in: their own businesses and their practice's clients."""
    accesses = businesses_for_user(user=request.user)
    query = request.GET.get("q", "").strip()
    if query:
        accesses = [a for a in accesses if query.lower() in a.business.name.lower()]
    return render(
        request,
        "accounts/switch.html",
        {
            "own": [a for a in accesses if a.via is Via.MEMBER],
            "clients": [a for a in accesses if a.via is Via.PRACTICE],
            "query": query,
        },
    )
