"""The `worker` process: consumes the task queue (coop.queue) with Huey's consumer.

Run as many as you like, on as many machines as share the Redis queue; on the embedded default
(SQLite) `make run` starts one beside the dev server. ``--workers`` threads run tasks at once.
"""

import argparse
import logging

from coop import create_app, importing, queue
from coop.dbtypes import utcnow


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobs.worker")
    parser.add_argument("--workers", type=int, help="tasks run at once (QUEUE_WORKERS)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"BATCH": True})
    huey = queue.huey_of(app)
    if huey.immediate:
        raise SystemExit("QUEUE_IMMEDIATE=1 runs tasks in the web process: no worker is needed.")
    with app.app_context():  # what a worker that died left half done goes back in the queue
        logging.getLogger("coop.worker").info("imports: %s", importing.requeue_stalled(utcnow()))
    consumer = huey.create_consumer(
        workers=args.workers or app.config["QUEUE_WORKERS"],
        worker_type="thread",
        periodic=False,  # the clock decides when periodic work runs (DESIGN.md)
        initial_delay=0.05,
        max_delay=1.0,  # an idle SQLite queue is polled at least once a second
    )
    consumer.run()


if __name__ == "__main__":
    main()
