"""A provider call that outlasts the job's lease: a slow Bill.com bulk create with attachments, each write taking
longer than the lease. Bill.com has no idempotency key; had the sweeper handed the jobs to another worker, it
would have looked for the bills before the slow request committed them, found none and made them again. The
worker keeps extending its lease while it is still working, so no one else takes the jobs."""

import pytest

from integrations.services import publishing_defaults_set
from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.conftest import bill_com_connect
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability

LEASE, WRITE = 2, 4  # seconds: every write to Bill.com takes twice the lease


def test_a_provider_call_longer_than_the_lease_makes_no_second_document(rig, client):
    for name, value in {"PUBLISH_LEASE_SECONDS": LEASE, "PROVIDER_HTTP_TIMEOUT_SECONDS": 30}.items():
        rig.extra_env[name] = str(value)
        setattr(rig.settings, name, value)
    business, admin = rig.business("Lease")
    connect_oauth(client, business, admin, "xero")
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    items = seed_items(business, 4, provider="bill_com", attachments=True)  # two batches of two
    rig.fault("bill_com", "slow_work", rate=1.0, delay=WRITE)  # the vendor, the bulk create, each attachment

    rig.beat()  # the sweeper runs every second and re-sends jobs whose lease expired
    rig.worker()
    result = items_publish(business=business, item_ids=[i.pk for i in items], actor=admin, queue="publish_bulk")
    assert result.updated == len(items) and not result.errors, result.errors

    rig.wait_published(items, timeout=120)
    rig.assert_published_exactly_once(items, "bill_com")
    jobs = PublishJob.objects.for_business(business)
    assert {(j.status, j.attempts) for j in jobs} == {(PublishJobStatus.SUCCEEDED, 1)}, (
        "a job was claimed again while its first worker was still calling Bill.com"
    )
