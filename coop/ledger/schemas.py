import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.ledger.models import AccountType, PostingKind
from coop.schemas import Id, LocalDateTime, Trimmed, length, month


class AccountOut(ma.Schema):
    id = fields.Integer()
    type = fields.Enum(AccountType, by_value=True)
    type_label = fields.Function(lambda a: a["type"].label)
    community_id = fields.Integer()
    community_name = fields.String()
    owner_id = fields.Integer(metadata={"description": "The volunteer's user id, or the unit's id"})
    owner_name = fields.String()
    balance = fields.Integer()
    held = fields.Integer(
        metadata={"description": "Reserved for redemptions not yet picked up (her hold account)"}
    )


class MyAccountsOut(ma.Schema):
    balance = fields.Integer(
        metadata={
            "description": "A volunteer's points over her accounts; for a unit liaison who is "
            "not a volunteer, her units'"
        }
    )
    held = fields.Integer(metadata={"description": "Of those, reserved and not spendable"})
    accounts = fields.List(fields.Nested(AccountOut))


class EntryArgs(PageArgs):
    account_id = Id(metadata={"description": "One of the caller's accounts only"})


class SourceOut(ma.Schema):
    type = fields.String(attribute="source_type", metadata={"description": "e.g. service_record"})
    id = fields.Integer(attribute="source_id")


class EntryOut(ma.Schema):
    id = fields.Integer()
    account_id = fields.Integer()
    account_type = fields.Enum(AccountType, by_value=True, attribute="account.type")
    community_id = fields.Integer(attribute="account.community_id")
    amount = fields.Integer(
        metadata={"description": "Positive credits the account, negative debits"}
    )
    created_at = LocalDateTime()
    posting_id = fields.Integer()
    kind = fields.Enum(PostingKind, by_value=True, attribute="posting.kind")
    kind_label = fields.Function(lambda e: e.posting.kind.label)
    memo = fields.String(attribute="posting.memo")
    # What caused it: {"type": "service_record", "id": 42}.
    source = fields.Nested(SourceOut, attribute="posting")


class StandingsArgs(PageArgs):
    """积分台账's filters: a name, and a month for what was issued and spent in it."""

    q = Trimmed(load_default="", validate=length(max=32))
    month = fields.String(
        load_default="",
        validate=month(error="月份格式应为 YYYY-MM，例如 2026-11。", blank=True),
        metadata={"description": "YYYY-MM: issued and spent in that month; balances are now"},
    )
