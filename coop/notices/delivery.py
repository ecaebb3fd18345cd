"""Delivering notices through channels besides the inbox: the outbox and the queue.

``plan`` (called by ``notify``, in the caller's transaction) writes one ``NoticeDelivery`` per
channel she chose, due now or when her quiet hours end, and queues ``tasks.deliver`` for after the
commit. ``deliver`` sends one: it claims the try (``claim``: a conditional UPDATE raising
``attempts`` and leasing the row until ``LEASE`` from now — two workers never send the same
try), sends outside any transaction, and records the outcome at once: sent, or due again after
``RETRY_DELAYS`` (held past quiet hours), or failed after ``MAX_ATTEMPTS`` or a refusal.
``sweep`` (the clock, every minute) re-queues rows due for over ``SWEEP_GRACE``: a message lost
between commit and queue, a worker killed mid-send (its lease ran out), the end of quiet hours.

A try that crashed after the provider accepted it and before ``record_sent`` is sent again once
its lease ends; the delivery id goes to providers as their idempotency key (WeChat's
``client_msg_id``, the SMS gateway's ``Idempotency-Key``, the e-mail's Message-ID) so they can
drop the repeat.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from coop import queue
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.notices import channels
from coop.notices.models import DeliveryStatus, Notice, NoticeDelivery, NoticeSettings
from coop.notices.quiet import held_until
from coop.uow import unit_of_work

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # five tries, then failed
LEASE = timedelta(minutes=5)  # longer than any channel's timeout (SMTP 30 s, HTTP 10 s)
SWEEP_GRACE = timedelta(minutes=1)  # the queue normally takes a row well before this
SWEEP_BATCH = 500


def _task():
    from coop.notices import tasks

    return tasks.deliver


def quiet_hours(settings: NoticeSettings | None):
    return (settings.quiet_from, settings.quiet_until) if settings else (None, None)


def plan(notice: Notice) -> list[NoticeDelivery]:
    """A delivery row per channel she chose that is offered, in the notice's transaction; each is
    queued for after the commit (or for the end of her quiet hours)."""
    offered = channels.enabled()
    if not offered:  # the inbox only: not a query more than before
        return []
    settings = db.session.get(NoticeSettings, notice.user_id)
    chosen = [name for name in (settings.channel_list if settings else []) if name in offered]
    if not chosen:
        return []
    now = utcnow()
    due = held_until(now, *quiet_hours(settings))
    notice.created_at = notice.created_at or now
    rows = [
        NoticeDelivery(notice=notice, channel=name, next_attempt_at=due, created_at=now)
        for name in chosen
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        _queue(row.id, due, now)
    return rows


def _queue(delivery_id: int, due: datetime, now: datetime) -> None:
    if due > now:
        queue.enqueue_at(due, _task(), delivery_id)
    else:
        queue.enqueue(_task(), delivery_id)


@dataclass(frozen=True)
class Try:
    delivery_id: int
    attempt: int
    channel: str
    message: channels.Message


def claim(delivery_id: int, now: datetime) -> Try | None:
    """Take the next try of a queued delivery that is due, or None: sent, failed, not due yet
    (held for quiet hours: queued again for their end), or claimed by another worker."""
    row = db.session.get(NoticeDelivery, delivery_id)
    if row is None or row.status is not DeliveryStatus.QUEUED or row.next_attempt_at > now:
        return None
    notice = row.notice
    user = db.session.get(User, notice.user_id)
    settings = db.session.get(NoticeSettings, notice.user_id)
    held = held_until(now, *quiet_hours(settings))
    if held > now:  # due in her quiet hours (a retry, a late sweep): wait for their end
        moved = _conditional(row, now, next_attempt_at=held)
        if moved:
            _queue(delivery_id, held, now)
        return None
    channel = channels.enabled().get(row.channel)
    address = getattr(user, channel.address_field, None) if channel and user else None
    if channel is None or not address or row.attempts >= MAX_ATTEMPTS:
        reason = (
            "channel no longer offered"
            if channel is None
            else "no address"
            if not address
            else "the worker stopped during every try"
        )
        _conditional(row, now, status=DeliveryStatus.FAILED, last_error=reason)
        return None
    attempt = row.attempts + 1
    if not _conditional(row, now, attempts=attempt, next_attempt_at=now + LEASE):
        return None  # another worker took it first
    message = channels.Message(
        delivery_id=row.id,
        notice_id=notice.id,
        address=address,
        name=user.display_name,
        title=notice.title,
        body=notice.body or "",
        link=notice.link or "",
        url=channels.link_url(current_app.config, notice.link or ""),
        created_at=notice.created_at,
    )
    return Try(row.id, attempt, row.channel, message)


def _conditional(row: NoticeDelivery, now: datetime, **values) -> bool:
    """UPDATE the row only if it is still as we read it (queued, the same try, due)."""
    result = db.session.execute(
        sa.update(NoticeDelivery)
        .where(
            NoticeDelivery.id == row.id,
            NoticeDelivery.status == DeliveryStatus.QUEUED,
            NoticeDelivery.attempts == row.attempts,
            NoticeDelivery.next_attempt_at <= now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row)
    return result.rowcount == 1


def record_sent(claimed: Try, now: datetime) -> None:
    db.session.execute(
        sa.update(NoticeDelivery)
        .where(
            NoticeDelivery.id == claimed.delivery_id,
            NoticeDelivery.status == DeliveryStatus.QUEUED,
            NoticeDelivery.attempts == claimed.attempt,
        )
        .values(status=DeliveryStatus.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    )


def record_failure(claimed: Try, error: BaseException, now: datetime) -> datetime | None:
    """Due again after the try's backoff (past her quiet hours), or failed for good after the
    last try or a refusal. Returns when it is due again, or None."""
    row = db.session.get(NoticeDelivery, claimed.delivery_id, with_for_update=True)
    if row is None or row.status is not DeliveryStatus.QUEUED or row.attempts != claimed.attempt:
        return None  # another worker has taken over since (our lease ran out)
    row.last_error = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, channels.Refused) or claimed.attempt >= MAX_ATTEMPTS:
        row.status = DeliveryStatus.FAILED
        return None
    settings = db.session.get(NoticeSettings, row.notice.user_id)
    row.next_attempt_at = held_until(
        now + RETRY_DELAYS[claimed.attempt - 1], *quiet_hours(settings)
    )
    queue.enqueue_at(row.next_attempt_at, _task(), row.id)
    return row.next_attempt_at


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Send one delivery's next try if it is due and nobody else has it. Safe to run twice and
    concurrently. Returns sent, retry, failed or skipped."""
    with unit_of_work():
        claimed = claim(delivery_id, now or utcnow())
    if claimed is None:
        return "skipped"
    channel = channels.enabled()[claimed.channel]
    try:
        channel.send(claimed.message)
    except Exception as error:  # any failure of one channel is this delivery's, no one else's
        current_app.logger.warning(
            "notice delivery %s (%s) try %s failed: %s",
            delivery_id,
            claimed.channel,
            claimed.attempt,
            error,
        )
        with unit_of_work():
            again = record_failure(claimed, error, now or utcnow())
        return "retry" if again else "failed"
    with unit_of_work():
        record_sent(claimed, now or utcnow())
    return "sent"


def sweep(now: datetime, *, limit: int = SWEEP_BATCH) -> int:
    """Queue again the deliveries due for over ``SWEEP_GRACE`` and still queued, oldest first,
    marking them due ``now`` (so the next sweep leaves them to the queue for a while). Commits
    its own unit of work; returns how many it queued."""
    with unit_of_work():
        ids = db.session.scalars(
            sa.select(NoticeDelivery.id)
            .where(
                NoticeDelivery.status == DeliveryStatus.QUEUED,
                NoticeDelivery.next_attempt_at <= now - SWEEP_GRACE,
            )
            .order_by(NoticeDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        if ids:
            db.session.execute(
                sa.update(NoticeDelivery)
                .where(
                    NoticeDelivery.id.in_(ids),
                    NoticeDelivery.status == DeliveryStatus.QUEUED,
                    NoticeDelivery.next_attempt_at <= now - SWEEP_GRACE,
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
        for delivery_id in ids:
            queue.enqueue(_task(), delivery_id)
    return len(ids)


def undelivered(user_id: int, *, limit: int = 50) -> list[NoticeDelivery]:
    """Her deliveries that failed for good, newest first."""
    return list(
        db.session.scalars(
            sa.select(NoticeDelivery)
            .join(Notice)
            .where(Notice.user_id == user_id, NoticeDelivery.status == DeliveryStatus.FAILED)
            .order_by(NoticeDelivery.id.desc())
            .limit(limit)
        )
    )
