"""A need records when it moved along, whichever way it moved."""

from coop.needs import service
from coop.needs.models import NeedStatus
from coop.uow import unit_of_work
from tests import factories


def test_each_move_stamps_its_moment_and_the_first_answer_is_kept(ctx):
    community = factories.make_community()
    secretary = factories.make_secretary(community)
    need = factories.make_need(community, status=NeedStatus.SUBMITTED)
    assert need.listed_at is None and need.resolved_at is None
    with unit_of_work(secretary):
        service.list_need(secretary, need.id)
    listed = need.listed_at
    assert listed is not None
    with unit_of_work(secretary):
        service.resolve_need(secretary, need.id, resolution="修好了")
    assert need.resolved_at >= listed and need.listed_at == listed


def test_a_need_recorded_straight_onto_the_list_is_listed_when_it_is_made(ctx):
    need = factories.make_need(factories.make_community(), status=NeedStatus.LISTED)
    assert need.listed_at is not None and need.rejected_at is None
