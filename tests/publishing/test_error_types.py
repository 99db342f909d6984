"""Retries are decided on the error's type, never on its text: our own limiter's refusal is no failed attempt, a
provider's 429 is one, whatever either says."""

from contextlib import ExitStack

import pytest

from integrations.providers.base import OwnLimitReached, ProviderRateLimited, RateLimited
from integrations.providers.xero import Xero
from integrations.ratelimit import provider_slot
from integrations.sandbox.services import set_fault
from publishing.models import PublishJob, PublishJobStatus
from publishing.worker import job_run, outcome_kind
from tests.conftest import oauth_connect
from tests.publishing.test_pipeline_providers import publish_and_run, ready_item


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.extend(ids))
    return messages


def test_our_own_limiter_refuses_with_its_own_type():
    with (
        provider_slot(connection_id="own-limit-type", per_minute=0, concurrent=1),
        pytest.raises(OwnLimitReached) as refused,
        provider_slot(connection_id="own-limit-type", per_minute=0, concurrent=1),
    ):
        pass
    assert isinstance(refused.value, RateLimited) and not isinstance(refused.value, ProviderRateLimited)


def test_both_rate_limits_are_recorded_as_rate_limited():
    assert outcome_kind(OwnLimitReached("x", 1.0)) == outcome_kind(ProviderRateLimited("y", 1.0)) == "rate_limited"


def test_waiting_for_our_own_limit_is_not_a_failed_attempt(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks
):
    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    at_once = Xero.max_concurrent
    with ExitStack() as held:  # every slot of the connection taken: the worker's call must wait
        for _ in range(at_once):
            held.enter_context(provider_slot(connection_id=xero.pk, per_minute=0, concurrent=at_once))
        [retry] = publish_and_run(world, [ready_item(world)], sent, django_capture_on_commit_callbacks)
    job = PublishJob.objects.for_business(world.a).get()
    assert retry.reason == "rate_limited" and job.status == PublishJobStatus.PENDING
    assert job.last_error.startswith("Our own limit")
    assert job.attempts == 0, "waiting for our own limiter was counted as a failed attempt"


def test_a_providers_429_is_a_failed_attempt_whatever_its_message(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    set_fault("xero", "rate_limit", rate=1.0, retry_after=7)
    # A provider whose words happen to be our limiter's: the type decides, not the text.
    monkeypatch.setattr("integrations.providers.xero.client.XeroClient.provider_name", "Our own limit")
    [retry] = publish_and_run(world, [ready_item(world)], sent, django_capture_on_commit_callbacks)
    job = PublishJob.objects.for_business(world.a).get()
    assert retry.reason == "rate_limited" and retry.delay == 7
    assert job.last_error.startswith("Our own limit") and job.last_error_kind == "rate_limited"
    assert job.attempts == 1, "a provider's 429 must count as an attempt"
    assert job_run(job_id=job.pk) is not None  # not due yet: it waits for Retry-After
