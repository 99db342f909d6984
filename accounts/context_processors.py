from accounts.permissions import Via
from accounts.selectors import businesses_for_user


def switchers(request):
    """The organisation switcher and, for practice users, the client switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/api/", "/sandbox/", "/admin/")):
        return {}
    from integrations.selectors import main_connections_for

    accesses = businesses_for_user(user=user)
    clients = [a for a in accesses if a.via is Via.PRACTICE]
    return {
        "switcher_own_businesses": [a for a in accesses if a.via is Via.MEMBER],
        "switcher_clients": clients,
        # One query for every client's connection status, not one per client.
        "switcher_connections": main_connections_for(business_ids=[a.business.id for a in clients]),
    }
