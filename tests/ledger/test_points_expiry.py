"""Points expire 24 months after they were earned, oldest spent first, once per month. Entries
cannot be back-dated (the ledger is append-only), so these tests move the cutoff instead."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import expiry, service
from coop.ledger.models import AccountType, Posting, PostingKind
from coop.notices.models import Notice
from tests.factories import give_points, make_community, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


def spend(account, community, points, key):
    till = service.account_for(AccountType.SUPERMARKET, community.id)
    service.post(
        key=key,
        kind=PostingKind.PICKUP,
        source_type="test",
        source_id=1,
        lines=[(account, -points), (till, points)],
    )


def test_the_cutoff_is_24_months_back():
    assert expiry.cutoff_for(datetime(2026, 11, 1, tzinfo=UTC)) == datetime(2024, 11, 1, tzinfo=UTC)
    assert expiry.cutoff_for(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2024, 1, 1, tzinfo=UTC)


def test_points_earned_after_the_cutoff_stay(community):
    give_points(make_volunteer(community), community, 100)
    assert expiry.expiring(utcnow() - timedelta(days=1)) == []


def test_what_is_left_of_old_points_expires_once_and_is_told(community):
    volunteer = make_volunteer(community)
    account = give_points(volunteer, community, 100)
    spend(account, community, 30, "test:spend:1")
    later = utcnow() + timedelta(days=1)
    assert expiry.expiring(later) == [(account.id, 70)]
    assert expiry.expire_account(account.id, 70, month="2026-11")
    assert not expiry.expire_account(account.id, 70, month="2026-11")  # the same month: no-op
    assert service.balance_of(account) == 0
    assert expiry.expiring(later) == []  # the expiry counts as spent
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == volunteer.id))
    assert "70" in notice.title
    assert service.check().ok


def test_the_job_expires_through_the_run_once_guard(community, monkeypatch):
    from jobs import JOBS

    account = give_points(make_volunteer(community), community, 40)
    monkeypatch.setattr(expiry, "cutoff_for", lambda start: utcnow() + timedelta(days=1))
    outcome = JOBS["expire_points"].run("2026-11")
    assert outcome.result == {"accounts": 1, "points": 40}
    assert JOBS["expire_points"].run("2026-11").status == "already_done"
    assert service.balance_of(account) == 0
    kinds = db.session.scalars(sa.select(Posting.kind).where(Posting.source_id == account.id))
    assert PostingKind.EXPIRE in list(kinds)
