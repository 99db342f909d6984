"""Fixtures of the reliability tests: committed data (``transactional_db``), the sandbox on a live HTTP
server, and real Celery worker and beat processes against a Redis database of their own."""

import pytest
from django.conf import settings as django_settings

from integrations import http
from tests.reliability.rig import TIMINGS, Rig, redis_db_claim, redis_db_empty, redis_db_release, use_broker


@pytest.fixture(scope="session")
def reliability_redis():
    """A Redis database (same server as REDIS_URL) that no other concurrent run uses; emptied at the end."""
    url, token = redis_db_claim(django_settings.REDIS_URL)
    yield url, token
    redis_db_release(url, token)


@pytest.fixture
def rig(transactional_db, live_server, settings, tmp_path, reliability_redis):
    """Settings shared with the worker processes; every process started is killed at teardown."""
    original_broker = settings.CELERY_BROKER_URL
    for name, value in TIMINGS.items():
        setattr(settings, name, value)
    settings.SITE_URL = live_server.url
    settings.SANDBOX_ENABLED = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    http.set_transport(None)  # provider HTTP over real sockets to the live server
    rig = Rig(settings=settings, live_url=live_server.url, tmp=tmp_path)
    redis_url, token = reliability_redis
    redis_db_empty(redis_url, token)
    rig.configure(redis_url)
    try:
        yield rig
    finally:
        if rig.stack is not None:
            rig.stack.stop()
        use_broker(original_broker)
