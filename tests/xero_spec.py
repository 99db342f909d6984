"""Validate the requests our Xero client sends against Xero's official OpenAPI document.

Mock servers do not check Invoice bodies against the spec, so we do it in-process: a transport
wrapper hands every request bound for the Xero Accounting API to openapi-core before the sandbox
answers it. The spec is loaded once, without validating the spec itself (PROVIDERS.md: it carries
string "false" defaults and a malformed example that strict spec validators reject).
"""

from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

# The official document, kept in the repository (tests/specs/README.md says where it comes from).
SPEC = Path(__file__).resolve().parent / "specs" / "xero_accounting.yaml"
XERO_API_PREFIX = "/sandbox/xero/api.xro/2.0"


@lru_cache(maxsize=1)
def xero_openapi() -> OpenAPI:
    if not SPEC.exists():
        raise FileNotFoundError(f"Xero's OpenAPI document is expected at {SPEC}.")
    with SPEC.open() as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - SafeLoader
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


class XeroRequest:
    """openapi-core's request protocol over an httpx request to our sandbox's Xero API."""

    def __init__(self, request: httpx.Request):
        self._request = request
        path = request.url.path[len(XERO_API_PREFIX) :]
        self.host_url = "https://api.xero.com"
        self.path = f"/api.xro/2.0{path}"
        self.full_url_pattern = self.host_url + self.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(request.url.query.decode())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "")
        self.body = request.content

    @property
    def mimetype(self) -> str:
        return self.content_type.split(";")[0]


def is_xero_json_call(request: httpx.Request) -> bool:
    return request.url.path.startswith(XERO_API_PREFIX) and "/Attachments/" not in request.url.path


class ValidatingTransport(httpx.BaseTransport):
    """Checks each Xero API request against the spec, records it, then lets the sandbox answer."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.checked: list[tuple[str, str]] = []
        self.problems: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_xero_json_call(request):
            request.read()
            try:
                xero_openapi().validate_request(XeroRequest(request))
            except Exception as exc:  # collect every problem with its cause chain, fail in the test
                causes = [str(exc)]
                inner = exc.__cause__ or getattr(exc, "schema_errors", None)
                if inner:
                    causes.append(str(inner))
                self.problems.append(f"{request.method} {request.url.path}: {' / '.join(causes)}")
            self.checked.append((request.method, request.url.path))
        return self.inner.handle_request(request)
