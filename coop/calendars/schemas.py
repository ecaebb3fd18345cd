import marshmallow as ma
from marshmallow import fields


class CalendarTokenOut(ma.Schema):
    """Her feed. ``url`` is there only when the token was made by this request: only its hash
    is kept, so afterwards she makes a new one (POST) to see an address again."""

    url = fields.String(
        allow_none=True, metadata={"description": "https URL of the feed; null unless just made"}
    )
    webcal_url = fields.String(
        allow_none=True,
        metadata={"description": "the same as webcal://, which phones subscribe to"},
    )
    shown = fields.Boolean(metadata={"description": "whether url carries the address"})
    created_at = fields.DateTime()
