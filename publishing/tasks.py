"""Celery tasks: ids in, JSON only; each imports and calls a service and returns early if the row is gone."""

from celery import shared_task


@shared_task(name="publishing.publish_job", acks_late=True, ignore_result=True)
def publish_job(job_id: str) -> None:
    from publishing.worker import job_run

    job_run(job_id=job_id)
