from accounts.page_context import switcher_context
from accounts.permissions import Via
from accounts.selectors import businesses_for_user


def switchers(request):
    """The organisation switcher and, for practice users, the client switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/api/", "/sandbox/", "/admin/")):
        return {}
    accesses = businesses_for_user(user=user)
    clients = [a for a in accesses if a.via is Via.PRACTICE]
    return {
        "switcher_own_businesses": [a for a in accesses if a.via is Via.MEMBER],
        "switcher_clients": clients,
        # What higher apps add: integrations' connection status of every client, in one query.
        **switcher_context(clients),
    }
