from accounts.permissions import Via
from accounts.selectors import businesses_for_user


def switchers(request):
    """The organisation switcher and, for practice users, the client switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/api/", "/sandbox/", "/admin/")):
        return {}
    accesses = businesses_for_user(user=user)
    return {
        "switcher_own_businesses": [a for a in accesses if a.via is Via.MEMBER],
        "switcher_clients": [a for a in accesses if a.via is Via.PRACTICE],
    }
