"""API authentication: the browser session (with CSRF) or ``Authorization: Token <key>``."""

from rest_framework import authentication, exceptions

from accounts.models import ApiToken


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; answers 401 (not 403) to anonymous callers."""

    def authenticate_header(self, request):
        return "Session"


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = ApiToken.objects.select_related("user").get(key_digest=ApiToken.digest(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)
