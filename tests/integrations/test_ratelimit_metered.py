"""The limiter counts every call a slot's holder makes, gives back what it reserved and did not spend, keeps a day
window per connection, and shrinks its windows (and the sandbox's) by RATE_LIMIT_TIME_SCALE (issue 14)."""

import time
import uuid

import httpx
import pytest

from integrations import http, ratelimit
from integrations.providers.base import DayLimitReached, OwnLimitReached
from integrations.providers.http_client import shared_http_client
from integrations.ratelimit import budget, call_spend, next_day_start, provider_slot, used
from integrations.sandbox import counters


def _in_window(connection_id) -> int:
    return used([connection_id])[str(connection_id)][0]


def test_a_metered_slot_gives_back_the_calls_it_did_not_make():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=5, calls=10, metered=True):
        assert _in_window(connection_id) == 10, "the reservation holds the calls while the batch runs"
        call_spend()
        call_spend()
    assert _in_window(connection_id) == 2, "only the two calls made stay in the window"


def test_an_unmetered_slot_keeps_its_reservation():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=5, calls=3):
        call_spend()  # outside a metered slot nothing is counted per call
    assert _in_window(connection_id) == 3


def test_a_call_beyond_the_reservation_takes_room_of_its_own_or_is_refused():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=3, concurrent=0, calls=2, metered=True):
        call_spend()
        call_spend()
        call_spend()  # a look-up nobody expected: the minute has room for it
        assert _in_window(connection_id) == 3
        with pytest.raises(OwnLimitReached):
            call_spend()  # the fourth would exceed the provider's limit: it never leaves
    assert _in_window(connection_id) == 3


def test_the_day_window_refuses_with_when_it_renews():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=0, calls=2, day_limit=3, metered=True):
        call_spend()
        call_spend()
    assert used([connection_id])[str(connection_id)][1] == 2
    with (
        pytest.raises(DayLimitReached) as refused,
        provider_slot(connection_id=connection_id, per_minute=60, concurrent=0, calls=2, day_limit=3),
    ):
        pass
    assert refused.value.resumes_at == next_day_start()
    assert 0 < refused.value.retry_after <= 86_400
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=0, calls=1, day_limit=3):
        pass  # one more still fits the day
    assert budget(connection_id=connection_id, per_minute=60, day_limit=3).day_left == 0


def test_a_reserved_call_that_left_the_minute_is_not_counted_twice_in_the_day(settings):
    """A batch whose calls leave later than a (scaled) minute after its reservation: each call takes a new place in
    the minute, but the day still holds its reservation, so a day reserved to the last call is not refused."""
    settings.RATE_LIMIT_TIME_SCALE = 0.0005  # a 0.03 s "minute" (0.18 s with our margin), a 43 s "day"
    connection_id = uuid.uuid4()
    if ratelimit.day_seconds() - time.time() % ratelimit.day_seconds() < 2:
        time.sleep(2)  # not across a day's end
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=0, calls=3, day_limit=3, metered=True):
        time.sleep(0.3)  # the reservation has left the minute window
        for _ in range(3):
            call_spend()
    assert used([connection_id])[str(connection_id)][1] == 3


def test_the_providers_own_count_of_the_day_is_believed_when_higher():
    connection_id = uuid.uuid4()
    ratelimit.day_remaining_note(connection_id, day_limit=5000, remaining=4990)
    assert used([connection_id])[str(connection_id)][1] == 10
    ratelimit.day_remaining_note(connection_id, day_limit=5000, remaining=4999)
    assert used([connection_id])[str(connection_id)][1] == 10, "a lower count never lowers ours"


def test_a_429_for_the_day_is_a_day_wait_not_a_failure(settings):
    connection_id = uuid.uuid4()

    def answer(request):
        return httpx.Response(429, headers={"Retry-After": "3600", "X-Rate-Limit-Problem": "day"})

    http.set_transport(httpx.MockTransport(answer))
    try:
        with (
            provider_slot(
                connection_id=connection_id, per_minute=60, concurrent=0, calls=1, day_limit=1000, metered=True
            ),
            pytest.raises(DayLimitReached),
        ):
            shared_http_client().get("https://api.xero.test/api.xro/2.0/Invoices")
    finally:
        http.set_transport(None)
    assert used([connection_id])[str(connection_id)][1] == 1000, "the day is spent"


def test_every_request_through_the_shared_client_is_counted_and_the_day_remaining_read(settings):
    connection_id = uuid.uuid4()
    answers = iter(["4990", "4989"])

    def answer(request):
        return httpx.Response(200, json={}, headers={"X-DayLimit-Remaining": next(answers)})

    http.set_transport(httpx.MockTransport(answer))
    try:
        with provider_slot(
            connection_id=connection_id, per_minute=60, concurrent=0, calls=5, day_limit=5000, metered=True
        ):
            shared_http_client().get("https://api.xero.test/a")
            shared_http_client().get("https://api.xero.test/b")
    finally:
        http.set_transport(None)
    minute, day = used([connection_id])[str(connection_id)]
    assert minute == 2
    assert day == 11, "Xero counted 11 calls today: ours follows"


def test_the_time_scale_shrinks_our_minute(settings):
    settings.RATE_LIMIT_TIME_SCALE = 0.02  # a 1.2-second "minute"
    connection_id = uuid.uuid4()
    for _ in range(2):
        with provider_slot(connection_id=connection_id, per_minute=2, concurrent=0):
            pass
    with (
        pytest.raises(OwnLimitReached) as refused,
        provider_slot(connection_id=connection_id, per_minute=2, concurrent=0),
    ):
        pass
    assert refused.value.retry_after <= 1.2
    time.sleep(1.4)
    with provider_slot(connection_id=connection_id, per_minute=2, concurrent=0):
        pass


def test_the_time_scale_shrinks_the_sandboxs_windows_alike(settings):
    settings.RATE_LIMIT_TIME_SCALE = 0.1
    assert counters.window_seconds(60) == pytest.approx(6.0)
    assert counters.window_seconds(86_400) == pytest.approx(ratelimit.day_seconds())
    assert ratelimit.minute_seconds() == pytest.approx(6.0)
