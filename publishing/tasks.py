"""Celery tasks: ids in, JSON only; each calls a service and returns early if the row is gone."""

from celery import shared_task


@shared_task(bind=True, name="publishing.publish_job", acks_late=True, ignore_result=True, max_retries=None)
def publish_job(self, job_id: str) -> None:
    """Publish one job. Retries (rate limits honouring Retry-After, transient errors with capped
    exponential backoff and jitter) are decided by the worker service, which stores them on the
    job row first, so a lost retry message is still found by the sweeper."""
    from publishing.worker import job_run

    retry = job_run(job_id=job_id)
    if retry is not None:
        self.apply_async(args=[job_id], countdown=max(0.0, retry.delay), queue=retry.queue)


@shared_task(name="publishing.sweep_publish_jobs", ignore_result=True)
def sweep_publish_jobs() -> int:
    from publishing.worker import sweep_expired_leases

    return sweep_expired_leases()
