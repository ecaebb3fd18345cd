"""The queue for real: a `python -m jobs.worker` subprocess delivers committed notices by e-mail
to a local SMTP server, each exactly once, on the SQLite queue and on Redis."""

import os
import time
import uuid

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.notices.models import DeliveryStatus, NoticeDelivery
from coop.notices.service import notify
from coop.uow import unit_of_work
from tests.conftest import _database_url, make_app
from tests.factories import make_community, make_volunteer
from tests.notices.delivery_helpers import choose
from tests.queue.worker import running_worker
from tests.smtp_server import smtp_server

pytestmark = pytest.mark.committed
NOTICES = 20


def _app(tmp_path, server, backend: str):
    queue = {"QUEUE_SQLITE_PATH": str(tmp_path / "queue.sqlite3")}
    if backend == "redis":
        queue = {"REDIS_URL": os.environ["REDIS_URL"]}
    mail = {
        "NOTICE_CHANNELS": "email",
        "SMTP_HOST": server.host,
        "SMTP_PORT": server.port,
        "SMTP_STARTTLS": False,
        "MAIL_FROM": "noreply@coop.example.org",
    }
    app = make_app(
        _database_url(f"deliveryworker_{backend}", tmp_path),
        QUEUE_IMMEDIATE=False,
        QUEUE_NAME=f"coop-test-{uuid.uuid4().hex}",
        **queue,
        **mail,
    )
    return app, {**mail, "SMTP_STARTTLS": "0"}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_real_worker_emails_each_committed_notice_once(tmp_path, backend):
    with smtp_server() as server:
        app, env = _app(tmp_path, server, backend)
        with app.app_context():
            person = make_volunteer(make_community(), email="wang@example.com")
            choose(person, "email")
            db.session.commit()
            with running_worker(app, workers=2, **env) as worker:
                with unit_of_work():
                    for n in range(NOTICES):
                        notify(person.id, f"第{n}条：活动改期", body=f"新的时间：12月{n + 1}日")
                deadline = time.monotonic() + 60
                while len(server.messages) < NOTICES and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(0.5)  # a duplicate, if any, would arrive now
                assert worker.alive(), worker.output()
            statuses = db.session.execute(
                sa.select(NoticeDelivery.status, NoticeDelivery.attempts)
            ).all()
            db.session.remove()
            db.engine.dispose()
    subjects = sorted(m["Subject"] for m in server.messages)
    assert subjects == sorted(f"第{n}条：活动改期" for n in range(NOTICES)), worker.output()
    assert all(m["To"].addresses[0].addr_spec == "wang@example.com" for m in server.messages)
    assert "新的时间：12月1日" in {m.get_content().strip() for m in server.messages}
    assert statuses == [(DeliveryStatus.SENT, 1)] * NOTICES
