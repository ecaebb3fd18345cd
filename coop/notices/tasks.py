"""The notices' work for the task queue (coop.queue)."""

from coop import queue
from coop.notices import delivery


@queue.task()
def deliver(delivery_id: int) -> str:
    """Send one notice delivery (coop.notices.delivery.deliver); safe to run twice."""
    return delivery.deliver(delivery_id)
