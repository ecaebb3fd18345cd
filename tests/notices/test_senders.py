"""Notices reach other channels (SMS, WeChat) through one interface, only after the commit."""

import pytest

from coop.notices import senders
from coop.notices.service import notify
from coop.uow import unit_of_work
from tests.factories import make_community, make_volunteer


@pytest.fixture
def recorder(app):
    recording = senders.RecordingSender()
    app.extensions["coop.notice_senders"] = [recording]
    yield recording
    app.extensions.pop("coop.notice_senders")


class Broken:
    def send(self, message):
        raise RuntimeError("SMS gateway down")


def test_a_committed_notice_goes_to_every_sender(ctx, recorder):
    volunteer = make_volunteer(make_community(), phone="13800001111")
    with unit_of_work():
        notice = notify(volunteer.id, "您兑换的物品已过期", body="积分已退回", link="/my/points")
    (message,) = recorder.sent
    assert message.notice_id == notice.id and message.phone == "13800001111"
    assert (message.title, message.body, message.link) == (
        "您兑换的物品已过期",
        "积分已退回",
        "/my/points",
    )


def test_a_rolled_back_notice_is_never_sent(ctx, recorder):
    volunteer = make_volunteer(make_community())
    with pytest.raises(RuntimeError), unit_of_work():
        notify(volunteer.id, "不会发出")
        raise RuntimeError("the request failed")
    assert recorder.sent == []


def test_one_broken_channel_does_not_stop_the_others(ctx, app, recorder):
    app.extensions["coop.notice_senders"].insert(0, Broken())
    volunteer = make_volunteer(make_community())
    with unit_of_work():
        notify(volunteer.id, "仍然送达")
    assert [m.title for m in recorder.sent] == ["仍然送达"]


def test_senders_are_named_by_import_path(app):
    from tests.conftest import make_app

    configured = make_app("sqlite://", NOTICE_SENDERS="coop.notices.senders.RecordingSender")
    with configured.app_context():
        (sender,) = senders.configured()
    assert isinstance(sender, senders.RecordingSender)
