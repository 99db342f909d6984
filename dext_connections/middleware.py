"""Renders an :class:`ApplicationError` raised inside a page view as a page, not a 500; sets the
Content-Security-Policy of every answer."""

from collections.abc import Callable, Iterable

from django.shortcuts import render

from dext_connections.errors import ApplicationError

# Where else forms may post, registered by the apps that send them there (integrations: the providers' authorize
# pages, which a Connect form is redirected to). Each source is asked per answer, so it follows the settings.
_form_action_sources: list[Callable[[], Iterable[str]]] = []


def form_action_origins_register(source: Callable[[], Iterable[str]]) -> None:
    """Let forms post to the origins ``source()`` answers (called from an app's ``ready()``; once per source)."""
    if source not in _form_action_sources:
        _form_action_sources.append(source)


def form_action_origins() -> list[str]:
    """``CSP_FORM_ACTION_ORIGINS`` and the registered sources' origins, sorted, each once."""
    from django.conf import settings

    return sorted({*settings.CSP_FORM_ACTION_ORIGINS, *(o for source in _form_action_sources for o in source())})


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


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every answer: scripts, styles, images and frames from this site only, no inline
    script or style, no plugins, nobody may frame us. Forms may post here and to the providers' authorize pages (a
    Connect button's POST is redirected there, and browsers hold redirects of a form to ``form-action``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            # A view that lets its own site frame it (``xframe_options_sameorigin``: the attachment the item page
            # shows) says the same to browsers that read CSP; every other answer may be framed by nobody.
            same_origin = response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
            response["Content-Security-Policy"] = content_security_policy(
                request.path, frame_ancestors="'self'" if same_origin else "'none'"
            )
        return response


def content_security_policy(path: str, *, frame_ancestors: str = "'none'") -> str:
    from django.conf import settings

    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'self'"],  # the item page shows its attachment in an <iframe>, from this site
        "frame-ancestors": [frame_ancestors],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *form_action_origins()],
    }
    if path.startswith(settings.CSP_INLINE_STYLE_PATHS):
        # drf-spectacular's Swagger UI page (the split view keeps its script out of the page, not its <style>).
        directives["style-src"].append("'unsafe-inline'")
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
