"""Notices leave by an outbox: a delivery row per chosen channel, written with the notice and
sent by the queue after the commit (here in immediate mode; test_delivery_worker.py runs a real
consumer). Retries back off, then fail and show; quiet hours hold; a try is sent once."""

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.notices import delivery
from coop.notices.channels import Refused
from coop.notices.models import DeliveryStatus, Notice, NoticeDelivery
from coop.notices.quiet import held_until
from coop.notices.service import notify
from coop.timeutil import COMMUNITY_TZ
from coop.uow import unit_of_work
from tests.factories import login, make_community, make_volunteer
from tests.notices.delivery_helpers import choose, recording_channels, restore


@pytest.fixture
def fakes(app):
    yield recording_channels(app)
    restore(app)


@pytest.fixture
def person(ctx):
    return make_volunteer(
        make_community(), phone="13800001111", email="li@example.com", wechat_openid="oAbc123"
    )


def rows(notice_id: int) -> dict[str, NoticeDelivery]:
    found = db.session.scalars(
        sa.select(NoticeDelivery).where(NoticeDelivery.notice_id == notice_id)
    )
    return {row.channel: row for row in found}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=COMMUNITY_TZ).astimezone(UTC)


def test_a_committed_notice_goes_out_by_each_channel_she_chose(person, fakes):
    choose(person, "sms", "email")
    with unit_of_work():
        notice = notify(person.id, "您的需求已解决", body="感谢您的耐心", link="/needs/3")
    (sms,) = fakes["sms"].sent
    (mail,) = fakes["email"].sent
    assert fakes["wechat"].sent == []  # not chosen
    assert (sms.address, sms.title, sms.body, sms.link) == (
        "13800001111",
        "您的需求已解决",
        "感谢您的耐心",
        "/needs/3",
    )
    assert mail.address == "li@example.com" and sms.delivery_id != mail.delivery_id
    sent = rows(notice.id)
    assert {c: r.status for c, r in sent.items()} == {
        "sms": DeliveryStatus.SENT,
        "email": DeliveryStatus.SENT,
    }
    assert all(r.attempts == 1 and r.sent_at is not None for r in sent.values())


def test_the_outbox_rows_are_written_in_the_notice_transaction_and_sent_after(person, fakes):
    choose(person, "sms")
    with unit_of_work():
        notice = notify(person.id, "活动时间有变")
        db.session.flush()
        assert rows(notice.id)["sms"].status is DeliveryStatus.QUEUED
        assert fakes["sms"].sent == []  # not before the commit
    assert len(fakes["sms"].sent) == 1


def test_a_rolled_back_notice_leaves_no_delivery_and_sends_nothing(person, fakes):
    choose(person, "sms", "email", "wechat")
    with pytest.raises(RuntimeError), unit_of_work():
        notify(person.id, "不会发出")
        raise RuntimeError("the request failed")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeDelivery)) == 0
    assert [f.sent for f in fakes.values()] == [[], [], []]


def test_without_chosen_channels_only_the_inbox_gets_it(person, fakes):
    with unit_of_work():
        notice = notify(person.id, "只在站内")
    assert rows(notice.id) == {} and [f.sent for f in fakes.values()] == [[], [], []]


def test_a_channel_the_site_does_not_offer_is_not_used(person, fakes, app):
    choose(person, "sms", "wechat")
    del app.extensions["coop.notice_channels"]["wechat"]
    with unit_of_work():
        notice = notify(person.id, "只发短信")
    assert set(rows(notice.id)) == {"sms"}


def test_a_failing_channel_stops_neither_the_others_nor_the_inbox(person, fakes):
    choose(person, "email", "sms", "wechat")
    fakes["sms"].fail_with = ConnectionError("SMS gateway down")
    with unit_of_work():
        notice = notify(person.id, "仍然送达")
    assert db.session.get(Notice, notice.id) is not None  # the inbox row stays
    assert [m.title for m in fakes["email"].sent] == ["仍然送达"]
    assert [m.title for m in fakes["wechat"].sent] == ["仍然送达"]
    sms = rows(notice.id)["sms"]
    assert sms.status is DeliveryStatus.QUEUED and sms.attempts == 1
    assert "SMS gateway down" in sms.last_error


def test_a_failed_send_is_retried_with_backoff_then_failed_and_shown(person, fakes, client):
    choose(person, "sms")
    fakes["sms"].fail_with = ConnectionError("SMS gateway down")
    with unit_of_work():
        notice = notify(person.id, "兑换即将过期")
    row = rows(notice.id)["sms"]
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        db.session.refresh(row)
        assert row.status is DeliveryStatus.QUEUED
        tried_at = row.next_attempt_at
        waits.append(row.next_attempt_at)
        assert delivery.deliver(row.id, now=tried_at - timedelta(seconds=1)) == "skipped"
        delivery.deliver(row.id, now=tried_at)
    db.session.refresh(row)
    assert row.status is DeliveryStatus.FAILED and row.attempts == delivery.MAX_ATTEMPTS
    assert "SMS gateway down" in row.last_error
    gaps = [later - earlier for earlier, later in pairwise(waits)]
    assert gaps == list(delivery.RETRY_DELAYS[1:])
    assert delivery.deliver(row.id, now=waits[-1] + timedelta(days=1)) == "skipped"
    assert fakes["sms"].sent == []

    login(client, person)
    page = client.get("/my/notices").get_data(as_text=True)
    assert "兑换即将过期" in page and "短信未送达" in page


def test_a_refusal_fails_at_once_without_retrying(person, fakes):
    choose(person, "sms")
    fakes["sms"].fail_with = Refused("no such number")
    with unit_of_work():
        notice = notify(person.id, "号码有误")
    row = rows(notice.id)["sms"]
    assert row.status is DeliveryStatus.FAILED and row.attempts == 1


def test_a_person_without_an_address_there_gets_a_failed_delivery_not_a_send(ctx, fakes):
    person = make_volunteer(make_community(), phone=None)
    choose(person, "sms")
    with unit_of_work():
        notice = notify(person.id, "没有手机号")
    row = rows(notice.id)["sms"]
    assert row.status is DeliveryStatus.FAILED and row.last_error == "no address"
    assert fakes["sms"].sent == []


def test_a_delivery_due_in_quiet_hours_is_held_until_they_end(person, fakes):
    choose(person, "sms", quiet=(time(21), time(8)))
    with unit_of_work():
        notice = Notice(user_id=person.id, title="夜里不打扰")
        db.session.add(notice)
        db.session.flush()
        row = NoticeDelivery(notice=notice, channel="sms", next_attempt_at=local(2026, 12, 8, 23))
        db.session.add(row)
    assert delivery.deliver(row.id, now=local(2026, 12, 8, 23)) == "skipped"
    db.session.refresh(row)
    assert row.next_attempt_at == local(2026, 12, 9, 8) and row.attempts == 0
    assert delivery.deliver(row.id, now=local(2026, 12, 9, 7, 59)) == "skipped"
    assert delivery.deliver(row.id, now=local(2026, 12, 9, 8)) == "sent"
    assert [m.title for m in fakes["sms"].sent] == ["夜里不打扰"]


@pytest.mark.parametrize(
    ("moment", "quiet", "held"),
    [
        (local(2026, 12, 8, 22, 30), (time(21), time(8)), local(2026, 12, 9, 8)),
        (local(2026, 12, 9, 6), (time(21), time(8)), local(2026, 12, 9, 8)),
        (local(2026, 12, 9, 8), (time(21), time(8)), local(2026, 12, 9, 8)),
        (local(2026, 12, 9, 20, 59), (time(21), time(8)), local(2026, 12, 9, 20, 59)),
        (local(2026, 12, 9, 12, 30), (time(12), time(14)), local(2026, 12, 9, 14)),
        (local(2026, 12, 9, 23), (None, None), local(2026, 12, 9, 23)),
    ],
)
def test_quiet_hours_hold_a_moment_until_they_end(moment, quiet, held):
    assert held_until(moment, *quiet) == held


def test_a_retry_that_falls_in_quiet_hours_waits_for_their_end(person, fakes):
    choose(person, "sms", quiet=(time(21), time(8)))
    fakes["sms"].fail_with = ConnectionError("down")
    with unit_of_work():
        notice = Notice(user_id=person.id, title="晚上八点五十九")
        db.session.add(notice)
        db.session.flush()
        row = NoticeDelivery(notice=notice, channel="sms", next_attempt_at=local(2026, 12, 8, 20))
        db.session.add(row)
    assert delivery.deliver(row.id, now=local(2026, 12, 8, 20, 59, 30)) == "retry"
    db.session.refresh(row)
    assert row.next_attempt_at == local(2026, 12, 9, 8)  # not 21:00:30


def test_two_workers_never_claim_the_same_try(person, fakes):
    choose(person, "sms")
    with unit_of_work():
        notice = Notice(user_id=person.id, title="只发一次")
        db.session.add(notice)
        db.session.flush()
        row = NoticeDelivery(notice=notice, channel="sms", next_attempt_at=local(2026, 12, 8, 10))
        db.session.add(row)
    now = local(2026, 12, 8, 10)
    with unit_of_work():
        first = delivery.claim(row.id, now)
    with unit_of_work():
        second = delivery.claim(row.id, now)
    assert first is not None and first.attempt == 1 and second is None


def test_the_sweep_sends_a_delivery_whose_queue_message_was_lost(person, fakes):
    choose(person, "sms")
    created = local(2025, 12, 8, 10)  # in the past: the queued task runs at the real clock
    with unit_of_work():  # committed, but the process died before queueing it
        notice = Notice(user_id=person.id, title="提交后进程崩溃", created_at=created)
        db.session.add(notice)
        db.session.flush()
        row = NoticeDelivery(notice=notice, channel="sms", next_attempt_at=created)
        db.session.add(row)
    assert delivery.sweep(created + timedelta(seconds=30)) == 0  # the queue may still have it
    assert delivery.sweep(created + delivery.SWEEP_GRACE) == 1
    db.session.refresh(row)
    assert row.status is DeliveryStatus.SENT and row.attempts == 1
    assert [m.title for m in fakes["sms"].sent] == ["提交后进程崩溃"]
    assert delivery.sweep(created + timedelta(hours=1)) == 0  # sent: nothing to sweep


def test_a_try_left_by_a_dead_worker_is_sent_again_once_its_lease_ends(person, fakes):
    choose(person, "sms")
    now = local(2025, 12, 8, 10)
    with unit_of_work():
        notice = Notice(user_id=person.id, title="工作进程被杀")
        db.session.add(notice)
        db.session.flush()
        row = NoticeDelivery(notice=notice, channel="sms", next_attempt_at=now)
        db.session.add(row)
    with unit_of_work():
        assert delivery.claim(row.id, now) is not None  # then the worker died mid-send
    assert delivery.sweep(now + delivery.LEASE) == 0  # its lease still holds
    assert delivery.sweep(now + delivery.LEASE + delivery.SWEEP_GRACE) == 1
    db.session.refresh(row)
    assert row.status is DeliveryStatus.SENT and row.attempts == 2
    (message,) = fakes["sms"].sent
    assert message.key == f"coop-notice-delivery-{row.id}"  # the provider's idempotency key


def test_the_sweep_job_is_registered_with_the_clock():
    from jobs import JOBS

    job = JOBS["deliver_notices"]
    assert job.trigger == {"minute": "*"} and not job.recorded


def test_notices_written_in_bulk_go_out_by_her_channels_too(person, fakes):
    from coop.auth.models import User
    from coop.notices import bulk

    other = make_volunteer(make_community())  # chose nothing: the inbox only
    choose(person, "email")
    now = local(2025, 12, 8, 10)
    with unit_of_work():
        written = bulk.notify_each(
            sa.select(User.id.label("user_id"), sa.literal("“五月红”").label("names")).where(
                User.id.in_([person.id, other.id])
            ),
            title="您获得了月月红徽章",
            body_after="，继续加油。",
            link="/me/badges",
            now=now,
        )
    assert written == 2
    [notice] = db.session.scalars(sa.select(Notice).where(Notice.user_id == person.id))
    assert set(rows(notice.id)) == {"email"}
    [theirs] = db.session.scalars(sa.select(Notice).where(Notice.user_id == other.id))
    assert rows(theirs.id) == {}
    assert delivery.sweep(now + delivery.SWEEP_GRACE) == 1
    assert [m.body for m in fakes["email"].sent] == ["“五月红”，继续加油。"]
