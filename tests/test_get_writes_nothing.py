"""Opening a page writes nothing: each demo person walks the pages the site links her to (and the
fragments they load with htmx), and no GET sends an INSERT, UPDATE or DELETE. A read that wrote
(defaults saved on first view, a counter bumped) would serialise a crowd on one row and turn
every view of a city's dashboard into a transaction.

Following a notice (``/my/notices/<id>/open``) is the one GET that writes by design: it marks the
notice read on the way to its link, as an e-mail's link does; the walk does not follow it."""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from coop.extensions import db
from tests.conftest import demo_app
from tests.statements import Sent, statements_sent

PER_ROLE = 150  # at most; one link of each shape (/needs/7 and /needs/8 are one shape)
LINK = re.compile(r'(href|hx-get)="(/[^"#]*)')
NOT_FOLLOWED = re.compile(
    r"^/(static|logout|api/)|/open$|\.(xlsx|pdf|ics|png|svg|csv|zip)$|/export|/download|/qr"
)
pytestmark = pytest.mark.committed


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_app("get_writes", tmp_path_factory.mktemp("get-writes")) as app:
        yield app


def _sign_in(app, username: str):
    from coop.auth import service
    from coop.auth.current import SESSION_KEY
    from coop.auth.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        raw = service.start_session(user)
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw
    return client


@pytest.mark.parametrize("username", ["street", "secretary", "unit", "volunteer", "resident"])
def test_no_page_she_can_reach_writes(demo, username):
    client = _sign_in(demo, username)
    writes: list[str] = []
    queue, seen, opened = deque([("href", "/")]), {"/"}, []  # seen: shapes

    def shape(link: str) -> str:
        return re.sub(r"\d+", "N", urlsplit(link).path) + ("?" if "?" in link else "")

    with demo.app_context():
        engine = db.engine
    with statements_sent(engine) as sent:
        while queue and len(opened) < PER_ROLE:
            how, path = queue.popleft()
            opened.append(path)
            before = len(sent)
            response = client.get(path, headers={"HX-Request": "true"} if how == "hx-get" else {})
            writes += [f"{path}: {' '.join(s.split())[:90]}" for s in Sent(sent[before:]).writes]
            assert response.status_code < 500, path
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            for how, link in LINK.findall(response.get_data(as_text=True)):
                link = link.replace("&amp;", "&")
                if shape(link) not in seen and not NOT_FOLLOWED.search(link):
                    seen.add(shape(link))
                    queue.append((how, link))
    assert len(opened) >= 10, opened  # she did get around
    assert writes == [], "\n".join(writes)
