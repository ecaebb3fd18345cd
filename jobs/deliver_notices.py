"""Every minute: notice deliveries still queued past their time go back on the queue — a message
lost between a commit and the queue, a worker killed mid-send, the end of someone's quiet hours."""

from coop.dbtypes import utcnow
from coop.notices import delivery
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    requeued = total = delivery.sweep(utcnow())
    while requeued == delivery.SWEEP_BATCH:  # a backlog: each batch is marked, so this ends
        requeued = delivery.sweep(utcnow())
        total += requeued
    progress(total)
    return {"requeued": total}


JOB = Job(
    name="deliver_notices",
    description="每分钟：把逾时仍未发出的消息（邮件、短信、微信）重新放入任务队列",
    cadence=Cadence.HOURLY,
    trigger={"minute": "*"},
    work=work,
    recorded=False,
)
