"""Celery tasks: ids in, JSON only; each calls a service and returns early if the rows are gone."""

from celery import shared_task


@shared_task(bind=True, name="publishing.publish_jobs", acks_late=True, ignore_result=True, max_retries=None)
def publish_jobs(self, job_ids: list[str]) -> None:
    """Publish a batch of jobs of one connection. Retries (rate limits honouring Retry-After, transient errors
    with capped exponential backoff and jitter) are decided by the worker service, which stores them on the
    job rows first, so a lost retry message is still found by the sweeper."""
    from publishing.pipeline import LONGEST_COUNTDOWN, drain_continue
    from publishing.worker import batch_run

    sent = []
    for retry in batch_run(job_ids=job_ids):
        if retry.delay > LONGEST_COUNTDOWN:
            continue  # the next day, say: the jobs' lease ends then, and the sweeper sends them
        self.apply_async(args=[retry.job_ids], countdown=max(0.0, retry.delay), queue=retry.queue)
        sent.append(retry.job_ids)
    # Fair dispatch: the connection's next batch goes at the back of the queue (publishing.pipeline).
    drain_continue(job_ids=job_ids, sent=sent)


@shared_task(name="publishing.sweep_publish_jobs", ignore_result=True)
def sweep_publish_jobs() -> int:
    """Beat: jobs whose lease expired go again, and attachments nobody is uploading are sent again."""
    from publishing.attaching import attachments_sweep
    from publishing.pipeline import sweep_expired_leases

    return sweep_expired_leases() + attachments_sweep()


@shared_task(name="publishing.send_attachments", acks_late=True, ignore_result=True)
def send_attachments(business_id: str, item_ids: list[str]) -> None:
    """Upload the pending attachments of published items; try again after a limit's wait or a network error."""
    from publishing.attaching import attachments_send

    again = attachments_send(business_id=business_id, item_ids=item_ids)
    if again is not None:
        send_attachments.apply_async(args=[business_id, item_ids], countdown=max(0.0, again))


@shared_task(name="publishing.month_end_publish_client", acks_late=True, ignore_result=True)
def month_end_publish_client(user_id: str, business_id: str) -> None:
    """ "Publish all ready items" of one client, for a practice user, handed over by a request with too many to queue
    at once. Access is checked again: a user who lost it meanwhile queues nothing. Running twice queues nothing
    twice (a queued item is no longer ready)."""
    import logging

    from accounts.models import User
    from dext_connections.errors import NotAllowed, NotFound
    from publishing.month_end import month_end_publish

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    try:
        month_end_publish(user=user, business_ids=[business_id], in_request=False)
    except (NotFound, NotAllowed) as refused:
        logging.getLogger(__name__).warning("month-end publish refused", extra={"reason": str(refused)})
