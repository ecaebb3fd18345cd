"""Who may verify, reject and reverse service hours. The service raises on these; the pages
show a button only where they allow it, so the rule is written here once."""

from coop.alliance.permissions import managed_community_ids
from coop.auth.models import User
from coop.hours.models import RecordOrigin, ServiceRecord


def is_own_record(actor: User | None, record: ServiceRecord) -> bool:
    """Nobody verifies or rejects her own hours."""
    return actor is not None and record.volunteer_id == actor.id


def can_manage_records(actor: User | None, record: ServiceRecord) -> bool:
    """The staff of the record's community verify, reject and reverse its hours."""
    return record.community_id in managed_community_ids(actor)


def entered_it(actor: User | None, record: ServiceRecord) -> bool:
    """补录 by this actor: a second member of staff must verify it."""
    return (
        actor is not None
        and record.origin is RecordOrigin.ENTERED
        and record.entered_by_id == actor.id
    )


def can_verify(actor: User | None, record: ServiceRecord) -> bool:
    """Staff of the community, not the volunteer herself, and not who entered the 补录."""
    return (
        not is_own_record(actor, record)
        and can_manage_records(actor, record)
        and not entered_it(actor, record)
    )


def can_reject(actor: User | None, record: ServiceRecord) -> bool:
    """As for verifying: the rejecter is recorded as verified_by, never who entered the 补录."""
    return can_verify(actor, record)


def can_reverse(actor: User | None, record: ServiceRecord) -> bool:
    """Staff of the community, not on her own hours: the reversal names its maker verifier."""
    return not is_own_record(actor, record) and can_manage_records(actor, record)
