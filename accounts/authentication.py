"""API authentication: the browser session (with CSRF) or ``Authorization: Token <key>``."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.services import api_token_delete, api_token_touch


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; answers 401 (not 403) to anonymous callers."""

    def authenticate_header(self, request):
        return "Session"


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """A token works while it has not expired and its user's password is the one it was issued under;
    a dead token is deleted when it is presented."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = ApiToken.objects.select_related("user").get(key_digest=ApiToken.digest(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if token.is_expired(timezone.now()):
            api_token_delete(token=token)
            raise exceptions.AuthenticationFailed("The token has expired; ask for a new one.")
        if not token.issued_under_current_password():
            api_token_delete(token=token)
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        api_token_touch(token=token)
        return (token.user, token)
