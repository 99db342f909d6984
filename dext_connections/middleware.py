"""Renders an :class:`ApplicationError` raised inside a page view as a page, not a 500."""

from django.shortcuts import render

from dext_connections.errors import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        template = {403: "403.html", 404: "404.html", 429: "429.html"}.get(exception.status_code, "refused.html")
        response = render(request, template, {"error": exception}, status=exception.status_code)
        retry_after = getattr(exception, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
