"""Granting is idempotent per (badge, holder, community, period); revoking keeps the row; bonus
points are posted once."""

import pytest

from coop.badges import catalog, service
from coop.badges.models import HolderType
from coop.dbtypes import utcnow
from coop.rewards import queries
from tests.factories import make_community, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


def test_granting_twice_gives_one_award_and_one_bonus(community):
    volunteer = make_volunteer(community)
    args = dict(
        holder_type=HolderType.VOLUNTEER,
        holder_id=volunteer.id,
        community_id=community.id,
        period="2026-10",
        evidence={"hours": 12},
        now=utcnow(),
    )
    first, changed = service.grant(catalog.HOURS_SILVER, **args)
    again, changed_again = service.grant(catalog.HOURS_SILVER, **args)
    assert first is again and changed and not changed_again
    assert queries.wallet(volunteer.id, community.id).available == 10


def test_a_revoked_award_keeps_its_row_and_reason_and_can_be_restored(community):
    volunteer = make_volunteer(community)
    award, _ = service.grant(
        catalog.THEME,
        holder_type=HolderType.VOLUNTEER,
        holder_id=volunteer.id,
        community_id=community.id,
        period="2026-10",
        evidence={},
        now=utcnow(),
    )
    assert service.revoke(award, reason="服务记录已冲正", now=utcnow())
    assert not service.revoke(award, reason="again", now=utcnow())
    assert award.revoked and award.revoke_reason == "服务记录已冲正"
    restored, changed = service.grant(
        catalog.THEME,
        holder_type=HolderType.VOLUNTEER,
        holder_id=volunteer.id,
        community_id=community.id,
        period="2026-10",
        evidence={},
        now=utcnow(),
    )
    assert restored is award and changed and not award.revoked
    assert queries.wallet(volunteer.id, community.id).available == 5  # the bonus, once
