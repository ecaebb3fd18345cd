"""WeChat template messages (公众号 模板消息) through WeChat's own HTTP API.

The access token comes from ``GET {base}/cgi-bin/token?grant_type=client_credential&appid=…
&secret=…`` and is kept until shortly before its ``expires_in``. Each message is::

    POST {base}/cgi-bin/message/template/send?access_token=…
    {"touser": "<openid>", "template_id": "<WECHAT_TEMPLATE_ID>",
     "url": "<SITE_URL + link>",                 (only with SITE_URL)
     "client_msg_id": "coop-notice-delivery-<id>",  (WeChat drops a repeat of the same id)
     "data": {"first": {"value": title}, "keyword1": {"value": body},
              "keyword2": {"value": "2026-12-08 09:00"}, "remark": {"value": "点击查看详情"}}}

The template is a 通知 template with first / keyword1 (内容) / keyword2 (时间) / remark.
``errcode`` 0 is accepted; an expired or invalid token (40001, 40014, 42001) is dropped and the
message tried again; an openid that is wrong or has unfollowed (40003, 43004) is a refusal.
"""

import threading
import time

from flask_babel import gettext as _

from coop.notices.channels import Message, Refused
from coop.notices.channels.http import Transport, UrllibTransport
from coop.timeutil import COMMUNITY_TZ

TOKEN_ERRORS = {40001, 40014, 42001}
REFUSALS = {40003, 43004, 40037}  # bad openid, unfollowed, bad template id
TOKEN_MARGIN_SECONDS = 300
MAX_VALUE = 200


class WeChatChannel:
    name = "wechat"
    address_field = "wechat_openid"

    def __init__(
        self,
        appid: str,
        secret: str,
        template_id: str,
        *,
        api_base: str = "https://api.weixin.qq.com",
        transport: Transport | None = None,
    ) -> None:
        self.appid, self.secret, self.template_id = appid, secret, template_id
        self.api_base = api_base.rstrip("/")
        self.transport = transport or UrllibTransport()
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()  # the worker's threads share one token

    def access_token(self) -> str:
        with self._lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            status, data = self.transport.request(
                "GET",
                f"{self.api_base}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )
            token = data.get("access_token")
            if status != 200 or not token:
                raise RuntimeError(f"WeChat token refused: {status} {str(data)[:200]}")
            lifetime = int(data.get("expires_in") or 7200) - TOKEN_MARGIN_SECONDS
            self._token = (token, time.monotonic() + max(lifetime, 60))
            return token

    def payload(self, message: Message) -> dict:
        moment = message.created_at.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%d %H:%M")
        payload = {
            "touser": message.address,
            "template_id": self.template_id,
            "client_msg_id": message.key,
            "data": {
                "first": {"value": message.title[:MAX_VALUE]},
                "keyword1": {"value": (message.body or message.title)[:MAX_VALUE]},
                "keyword2": {"value": moment},
                "remark": {"value": _("点击查看详情") if message.url else ""},
            },
        }
        if message.url:
            payload["url"] = message.url
        return payload

    def send(self, message: Message) -> None:
        status, data = self.transport.request(
            "POST",
            f"{self.api_base}/cgi-bin/message/template/send",
            params={"access_token": self.access_token()},
            json=self.payload(message),
        )
        code = data.get("errcode", -1 if status != 200 else 0)
        if status == 200 and code == 0:
            return
        reason = f"WeChat answered {status} errcode {code}: {data.get('errmsg', '')}"[:300]
        if code in TOKEN_ERRORS:
            with self._lock:
                self._token = None
        if code in REFUSALS:
            raise Refused(reason)
        raise RuntimeError(reason)


def from_config(config, transport: Transport | None = None) -> WeChatChannel | None:
    if not all(config.get(k) for k in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_TEMPLATE_ID")):
        return None
    return WeChatChannel(
        config["WECHAT_APPID"],
        config["WECHAT_SECRET"],
        config["WECHAT_TEMPLATE_ID"],
        api_base=config.get("WECHAT_API_BASE") or "https://api.weixin.qq.com",
        transport=transport,
    )
