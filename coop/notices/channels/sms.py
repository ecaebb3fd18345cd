"""SMS through a generic HTTP gateway (the shape most Chinese SMS resellers accept).

One JSON POST to ``SMS_ENDPOINT``::

    Authorization: Bearer <SMS_API_KEY>
    Idempotency-Key: coop-notice-delivery-<id>
    {"to": "13800001111", "sign": "共建联盟", "text": "【共建联盟】标题：正文",
     "reference": "coop-notice-delivery-<id>"}

A 2xx answer means accepted. 4xx (except 408 and 429) is a refusal that a retry cannot mend
(a bad number, a rejected text); anything else, or no answer, is tried again later. A provider
with its own API (阿里云短信 with template codes, 腾讯云短信) is another module with the same
``send``.
"""

from coop.notices.channels import Message, Refused
from coop.notices.channels.http import Transport, UrllibTransport

MAX_TEXT = 300  # a gateway splits it into parts; longer is not a text message any more
RETRYABLE = {408, 429}


class SmsChannel:
    name = "sms"
    address_field = "phone"

    def __init__(
        self, endpoint: str, api_key: str, *, sign: str, transport: Transport | None = None
    ) -> None:
        self.endpoint, self.api_key, self.sign = endpoint, api_key, sign
        self.transport = transport or UrllibTransport()

    def text(self, message: Message) -> str:
        text = f"【{self.sign}】{message.title}"
        if message.body:
            text += f"：{message.body}"
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        return text

    def send(self, message: Message) -> None:
        status, data = self.transport.request(
            "POST",
            self.endpoint,
            json={
                "to": message.address,
                "sign": self.sign,
                "text": self.text(message),
                "reference": message.key,
            },
            headers={"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": message.key},
        )
        if 200 <= status < 300:
            return
        reason = f"SMS gateway answered {status}: {str(data)[:200]}"
        if 400 <= status < 500 and status not in RETRYABLE:
            raise Refused(reason)
        raise RuntimeError(reason)


def from_config(config, transport: Transport | None = None) -> SmsChannel | None:
    if not config.get("SMS_ENDPOINT") or not config.get("SMS_API_KEY"):
        return None
    return SmsChannel(
        config["SMS_ENDPOINT"],
        config["SMS_API_KEY"],
        sign=config.get("SMS_SIGN") or "共建联盟",
        transport=transport,
    )
