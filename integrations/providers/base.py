"""The one typed interface every provider implements, and the error taxonomy of its clients."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from integrations.models import Connection
    from integrations.providers.document import PublishDocument


class AuthKind(StrEnum):
    OAUTH2 = "oauth2"
    CREDENTIALS = "credentials"
    WEB_CONNECTOR = "web_connector"


class ItemKind(StrEnum):
    COST = "cost"
    EXPENSE_CLAIM = "expense_claim"
    SALES = "sales"


class Delivery(StrEnum):
    """How a document reaches the provider: our worker sends it (push), or the customer's own software fetches it
    when it next runs (pull: QuickBooks Desktop's Web Connector polls us)."""

    PUSH = "push"
    PULL = "pull"


# --- what a provider package declares about where it lives ---


@dataclass(frozen=True)
class Endpoint:
    """A base URL of a provider: the real service's, the sandbox's stand-in (a path under ``SITE_URL/sandbox``),
    and the environment variable that overrides both. :func:`integrations.http.url` resolves it."""

    env_var: str
    real: str
    sandbox: str


@dataclass(frozen=True)
class OAuthRegistration:
    """The environment variables of the OAuth app registered with a provider, and the made-up client the sandbox
    accepts outside production (where the variables are required)."""

    client_id_env: str
    client_secret_env: str
    sandbox_client_id: str
    sandbox_client_secret: str


# --- the error taxonomy: every client translates HTTP and SDK failures into one of these ---


class ProviderError(Exception):
    """Base of the taxonomy. ``message`` is safe to show to a person (no secrets)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AuthError(ProviderError):
    """The authorisation is gone: the connection needs a reconnect; retrying will not help."""


class AccessLost(AuthError):
    """The provider refuses this connection's organisation although the token is valid (the organisation took the
    app's access away): a refreshed token will not bring it back, so no refresh is tried."""


class RateLimited(ProviderError):
    """Not now: wait ``retry_after`` seconds (None: unknown) and try again. Raised as one of the two below."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class OwnLimitReached(RateLimited):
    """Our own limiter (:func:`integrations.ratelimit.provider_slot`) refused the call before it was made: the
    connection's calls a minute or calls at once are spent. Nothing reached the provider; waiting is no failure."""


class ProviderRateLimited(RateLimited):
    """The provider answered that we are over its limit (HTTP 429 and its kin)."""


class DayLimitReached(OwnLimitReached):
    """The connection's calls for the day are spent (our count, or the provider's 429 naming the day): the work
    waits until ``resumes_at``, the start of the provider's next day. Waiting is no failure."""

    def __init__(self, message: str, retry_after: float | None = None, resumes_at=None):
        super().__init__(message, retry_after)
        self.resumes_at = resumes_at


class TransientError(ProviderError):
    """Network trouble, timeouts and 5xx: worth retrying with backoff."""


class ValidationError(ProviderError):
    """The provider refused the document; its own message goes on the item, no retry."""


class CredentialsRefused(ProviderError):
    """Credentials given at connect time were refused by the provider."""


@dataclass(frozen=True)
class ExternalRef:
    """Where a published document lives in the provider."""

    external_id: str
    url: str = ""


@dataclass(frozen=True)
class OAuthGrant:
    """What a completed OAuth 2.0 flow yields: tokens and the organisations they reach."""

    token: dict
    organisations: list[dict] = field(default_factory=list)  # [{"id", "name"}]


@dataclass(frozen=True)
class ConnectResult:
    """What a provider hands back when a connection is made."""

    organisation_name: str
    external_tenant_id: str
    credentials: dict
    access_token_expires_at: object | None = None
    extra: dict = field(default_factory=dict)  # shown once to the user (e.g. the Web Connector password)


class Provider(ABC):
    """Identity and capabilities of one accounting provider.

    One module per provider under ``integrations/providers/`` subclasses this; the registry maps
    its key to it. The publishing pipeline branches on these attributes, never on the key.
    """

    key: ClassVar[str]
    name: ClassVar[str]
    kind: ClassVar[str]  # "main" | "additional"
    auth: ClassVar[AuthKind]
    item_kinds: ClassVar[tuple[ItemKind, ...]]
    supports_auto_publish: ClassVar[bool] = True
    # Our own per-connection limits, shared by every worker (0 = none).
    rate_limit_per_minute: ClassVar[int] = 60
    max_concurrent: ClassVar[int] = 5
    publish_as_choices: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Jobs a worker takes at once and publishes together (1: one document per request), and the documents one
    # create request carries when that is fewer (QuickBooks Online's batch takes 10 operations, so a worker's
    # batch of 30 goes in three requests). Xero takes ~50 a request, Bill.com's bulk 100.
    batch_size: ClassVar[int] = 1
    request_size: ClassVar[int] = 0  # 0: batch_size
    # A provider's own limit on its batch requests a minute (QuickBooks Online: 40), 0 = the plain limit.
    batch_rate_limit_per_minute: ClassVar[int] = 0
    # Calls a day per connection (Xero: 5,000 an organisation, 1,000 on the lowest tier), 0 = none. The day is
    # the provider's (UTC); a provider whose limit is a setting reads it in a property.
    day_limit: int = 0
    # The calls one attachment costs against the connection's limits. Attachments go up after their document is
    # made and its id saved (``client.attach``, publishing.attaching), on reservations of their own as the window
    # has room (publishing.limits: a batch waits for the uploads already waiting). 0: nothing is uploaded.
    calls_per_attachment: ClassVar[int] = 0
    # Uploads sent at once, each lane under a slot of its own (publishing.attaching), where the provider's calls
    # at once allow it and its client holds no session a parallel caller could spoil; ATTACHMENT_UPLOADS_AT_ONCE
    # caps it for every provider.
    uploads_at_once: ClassVar[int] = 1
    # Whether the ledger keeps a document's attachment at all. Where it does not (QuickBooks Desktop: qbXML has no
    # request for one), a published item's file stays here only, and the item says so.
    keeps_attachments: ClassVar[bool] = True
    # Push: the worker publishes (``client().publish_many``). Pull: the job waits until the provider's software
    # asks for it (``pull_client()``), and a queued item says ``pull_label`` meanwhile.
    delivery: ClassVar[Delivery] = Delivery.PUSH
    pull_label: ClassVar[str] = ""
    # Every base URL the provider's package declares, by name (see Endpoint).
    endpoints: ClassVar[dict[str, Endpoint]] = {}
    # The ledger's lists (DESIGN.md §9) this provider's sync walks, pass by pass (integrations.lists.source.Pass);
    # none: the provider keeps no lists of its own. ``lists_from_main``: its items are coded against the main
    # connection's lists (ApprovalMax publishes through the main ledger).
    list_passes: ClassVar[tuple] = ()
    lists_from_main: ClassVar[bool] = False
    # What the Connections page says under a connection of this provider (how its documents travel, say).
    connection_note: ClassVar[str] = ""
    # A main ledger whose bills an approval app pulls into its workflow when they await approval: the status such a
    # bill is created in (Xero: SUBMITTED, which ApprovalMax pulls), or "" when there is no such route.
    approval_route: ClassVar[str] = ""
    # The list a sales item's category comes from: the chart of accounts (an income account), or the ledger's
    # products and services where its invoice lines name an item, not an account (QuickBooks Desktop).
    sales_category_list: ClassVar[str] = "accounts"
    # The largest attachment the provider takes (0: no known limit); a larger file is refused before publishing.
    max_attachment_bytes: ClassVar[int] = 0

    def requests_for(self, jobs: int) -> int:
        """The create requests a batch of ``jobs`` documents takes."""
        return math.ceil(jobs / (self.request_size or self.batch_size))

    def calls_for(self, jobs: int, *, attachments: int = 0, look_ups: int = 0) -> int:
        """Every call a batch of ``jobs`` documents makes against the connection's limit: its create requests, the
        uploads of its attachments that follow them (in their own slot, right after), and the look-ups expected (a
        document sent before is looked for by our reference first)."""
        return self.requests_for(jobs) + attachments * self.calls_per_attachment + look_ups

    def accepts(self, item_kind: str) -> bool:
        return item_kind in self.item_kinds

    def describe(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "auth": str(self.auth),
            "item_kinds": [str(k) for k in self.item_kinds],
        }

    # Connecting. OAuth providers implement the two oauth_* hooks, credential providers
    # ``connect_with_credentials``, web-connector providers ``connect_web_connector``.
    def oauth_client_settings(self) -> dict:
        raise NotImplementedError

    def oauth_complete(self, *, token: dict, callback_params: dict) -> OAuthGrant:
        raise NotImplementedError

    def connect_with_credentials(self, *, credentials: dict) -> ConnectResult:
        raise NotImplementedError

    def connect_web_connector(self, *, business_name: str) -> ConnectResult:
        raise NotImplementedError

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """Give up the authorisation at the provider when the business disconnects, where the provider offers a way
        (revoking tokens, ending a session). Raises ProviderError subclasses; the caller treats it as best effort.
        Providers with nothing to revoke (the Web Connector's log-in dies with the connection) keep this one."""
        return None

    @property
    def waits_for_pull(self) -> bool:
        return self.delivery is Delivery.PULL

    @abstractmethod
    def client(self, connection: Connection):
        """A client bound to one connection (no side effects in its constructor)."""

    def pull_client(self, connection: Connection) -> PullClient:
        """The client of a pull-delivery provider, bound to one connection (see :class:`PullClient`)."""
        raise NotImplementedError

    def list_source(self, connection: Connection):
        """What the list sync pages through (integrations.lists.source.ListSource), or None: by default the
        connection's client, which then implements ``fetch(kind, *, page, since) -> Page``."""
        return self.client(connection) if self.list_passes else None

    @property
    def list_kinds(self) -> tuple:
        """Every list the passes fill (ListKind values), in order."""
        return tuple(kind for one in self.list_passes for kind in one.gives)


@dataclass(frozen=True)
class PullAnswer:
    """What a pull client made of the answer to one step: the step to take next, or the document's outcome (an
    ExternalRef, or a ValidationError whose message goes on the item)."""

    next_step: str = ""
    outcome: ExternalRef | ValidationError | None = None


class PullClient(Protocol):
    """Publishing to a provider whose software fetches the work (QuickBooks Desktop's Web Connector): a document
    goes in steps, one request each, handed out when the software asks and answered on its next call. The steps
    are the provider's own (a look-up before an add, where it has no idempotency key); the caller keeps which step
    a document is at, and knows nothing of the requests' language."""

    def first_step(self, document: PublishDocument) -> str:
        """Where a document starts."""

    def next_request(self, document: PublishDocument, step: str) -> str:
        """The request of ``step`` for ``document``."""

    def read_response(self, document: PublishDocument, step: str, response: str) -> PullAnswer:
        """The provider's answer to ``step``: go on to another step, or the document's outcome."""

    def request_failed(self, document: PublishDocument, step: str, error: str) -> ValidationError:
        """The provider's software could not process the request at all: the document's error."""
