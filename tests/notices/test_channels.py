"""Each channel against what stands in for its provider: a real local SMTP server for e-mail,
a recording HTTP transport for the SMS gateway and WeChat (there is no network here)."""

from datetime import UTC, datetime

import pytest

from coop.notices.channels import Message, Refused, build
from coop.notices.channels.email import EmailChannel
from coop.notices.channels.http import RecordingTransport
from coop.notices.channels.sms import SmsChannel
from coop.notices.channels.wechat import WeChatChannel
from tests.smtp_server import smtp_server

MESSAGE = Message(
    delivery_id=41,
    notice_id=7,
    address="li@example.com",
    name="李阿姨",
    title="您的需求已列入服务项目",
    body="“助老理发”项目将于12月8日上门服务。",
    link="/needs/7",
    url="https://coop.example.org/needs/7",
    created_at=datetime(2026, 12, 8, 1, 30, tzinfo=UTC),
)


def test_email_arrives_at_the_smtp_server_with_chinese_intact(ctx):
    with smtp_server() as server:
        channel = EmailChannel(
            server.host, server.port, sender="共建联盟 <noreply@coop.example.org>", starttls=False
        )
        channel.send(MESSAGE)
    (mail,) = server.messages
    assert mail["Subject"] == "您的需求已列入服务项目"
    assert mail["To"].addresses[0].addr_spec == "li@example.com"
    assert mail["To"].addresses[0].display_name == "李阿姨"
    assert mail["Message-ID"] == "<coop-notice-delivery-41@coop.example.org>"
    text = mail.get_content()
    assert "“助老理发”项目将于12月8日上门服务。" in text
    assert "https://coop.example.org/needs/7" in text
    assert server.envelopes == [("noreply@coop.example.org", ["li@example.com"])]


def test_email_to_a_server_that_is_not_there_raises(ctx):
    from tests.smtp_server import free_port

    channel = EmailChannel("127.0.0.1", free_port(), sender="noreply@x.org", starttls=False)
    with pytest.raises(OSError):
        channel.send(MESSAGE)


def sms_message():
    return Message(**{**MESSAGE.__dict__, "address": "13800001111"})


def test_sms_is_one_json_post_with_the_delivery_as_idempotency_key():
    transport = RecordingTransport()
    SmsChannel("https://sms.example/send", "k3y", sign="兴旺社区", transport=transport).send(
        sms_message()
    )
    (call,) = transport.calls
    assert (call.method, call.url) == ("POST", "https://sms.example/send")
    assert call.headers == {
        "Authorization": "Bearer k3y",
        "Idempotency-Key": "coop-notice-delivery-41",
    }
    assert call.json == {
        "to": "13800001111",
        "sign": "兴旺社区",
        "text": "【兴旺社区】您的需求已列入服务项目：“助老理发”项目将于12月8日上门服务。",
        "reference": "coop-notice-delivery-41",
    }


@pytest.mark.parametrize(
    ("status", "error"), [(400, Refused), (422, Refused), (429, RuntimeError), (503, RuntimeError)]
)
def test_sms_gateway_refusals_are_final_and_outages_are_retried(status, error):
    transport = RecordingTransport(reply=lambda call: (status, {"error": "x"}))
    channel = SmsChannel("https://sms.example/send", "k", sign="s", transport=transport)
    with pytest.raises(error):
        channel.send(sms_message())


def wechat_message():
    return Message(**{**MESSAGE.__dict__, "address": "oUser123"})


def wechat_gateway(*send_answers):
    answers = list(send_answers)

    def reply(call):
        if call.url.endswith("/cgi-bin/token"):
            return 200, {"access_token": f"T{len(answers)}", "expires_in": 7200}
        return 200, answers.pop(0)

    return RecordingTransport(reply=reply)


def test_wechat_sends_a_template_message_with_a_cached_token(ctx):
    transport = wechat_gateway({"errcode": 0, "errmsg": "ok"}, {"errcode": 0, "errmsg": "ok"})
    channel = WeChatChannel("wxapp", "s3cret", "TPL1", transport=transport)
    channel.send(wechat_message())
    channel.send(wechat_message())
    token, first, second = transport.calls
    assert token.method == "GET" and token.params == {
        "grant_type": "client_credential",
        "appid": "wxapp",
        "secret": "s3cret",
    }
    assert first.url == "https://api.weixin.qq.com/cgi-bin/message/template/send"
    assert first.params == {"access_token": "T2"} == second.params  # fetched once
    assert first.json == {
        "touser": "oUser123",
        "template_id": "TPL1",
        "client_msg_id": "coop-notice-delivery-41",
        "url": "https://coop.example.org/needs/7",
        "data": {
            "first": {"value": "您的需求已列入服务项目"},
            "keyword1": {"value": "“助老理发”项目将于12月8日上门服务。"},
            "keyword2": {"value": "2026-12-08 09:30"},
            "remark": {"value": "点击查看详情"},
        },
    }


def test_wechat_drops_an_expired_token_and_refuses_an_unfollowed_openid(ctx):
    transport = wechat_gateway({"errcode": 42001, "errmsg": "expired"}, {"errcode": 43004})
    channel = WeChatChannel("wxapp", "s", "TPL1", transport=transport)
    with pytest.raises(RuntimeError, match="42001"):
        channel.send(wechat_message())
    with pytest.raises(Refused, match="43004"):
        channel.send(wechat_message())
    assert [c.url.rsplit("/", 1)[1] for c in transport.calls] == ["token", "send", "token", "send"]


def test_only_configured_channels_are_offered(app):
    with app.app_context():
        offered = build(
            {
                "NOTICE_CHANNELS": "sms,email,wechat",
                "SMTP_HOST": "smtp.example.org",
                "MAIL_FROM": "noreply@example.org",
                "WECHAT_APPID": "wx",  # no secret, no template: not offered
            }
        )
    assert list(offered) == ["email"]
