"""A community set up mid-term opens the half year's term now instead of waiting for the clock:
the term, its plan and the 联盟大会 on the day the secretary chooses; once only; refused
cleanly otherwise. Service rules, the page and the API."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.alliance.models import Term
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.meetings.models import Meeting
from coop.notices.models import Notice
from coop.terms import queries, service
from coop.terms.errors import TermAlreadyOpen
from coop.timeutil import COMMUNITY_TZ, local_today
from tests.factories import bearer, csrf, login, make_unit, make_volunteer

# A Monday in December, community time: the half year ends on 31 December.
NOW = datetime(2026, 12, 7, 10, tzinfo=COMMUNITY_TZ)
TODAY = NOW.date()


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_suggested_day_is_a_saturday_two_weeks_ahead_within_the_term():
    assert queries.half_year_end(TODAY) == date(2026, 12, 31)
    assert queries.half_year_end(date(2027, 3, 1)) == date(2027, 6, 30)
    assert service.suggested_assembly_day(TODAY, date(2026, 12, 31)) == date(2026, 12, 26)
    assert service.suggested_assembly_day(date(2026, 12, 20), date(2026, 12, 31)) == date(
        2026, 12, 31
    )


def test_the_secretary_opens_the_term_with_its_plan_and_assembly(community, secretary):
    make_unit(community)
    term = service.open_current_term(
        secretary, community.alliance.id, assembly_on=date(2026, 12, 19), now=NOW
    )
    assert (term.starts_on, term.ends_on) == (date(2026, 7, 1), date(2026, 12, 31))
    plan = queries.require_plan(term.id)
    assert plan.assembly_on == date(2026, 12, 19) and len(plan.items) == 6
    assembly = db.session.scalar(sa.select(Meeting).where(Meeting.term_id == term.id))
    assert assembly.starts_at.astimezone(COMMUNITY_TZ).date() == date(2026, 12, 19)
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == secretary.id))
    assert "2026-12-19" in notice.body


def test_a_second_opening_is_refused_and_writes_nothing(community, secretary):
    service.open_current_term(secretary, community.alliance.id, assembly_on=TODAY, now=NOW)
    before = (_count(Term), _count(Meeting), _count(Notice))
    with pytest.raises(TermAlreadyOpen):
        service.open_current_term(secretary, community.alliance.id, assembly_on=TODAY, now=NOW)
    assert (_count(Term), _count(Meeting), _count(Notice)) == before


@pytest.mark.parametrize("day", [TODAY - timedelta(days=1), date(2027, 1, 1)])
def test_an_assembly_outside_today_and_the_terms_end_is_refused(community, secretary, day):
    with pytest.raises(Invalid) as refused:
        service.open_current_term(secretary, community.alliance.id, assembly_on=day, now=NOW)
    assert "2026-12-07" in refused.value.errors["assembly_on"][0]
    assert "2026-12-31" in refused.value.errors["assembly_on"][0]
    assert _count(Term) == 0 and _count(Meeting) == 0


def test_only_the_secretary_opens_it(community):
    with pytest.raises(Forbidden):
        service.open_current_term(
            make_volunteer(community), community.alliance.id, assembly_on=TODAY, now=NOW
        )
    assert _count(Term) == 0


# --- the page ----------------------------------------------------------------------------------


def test_the_page_offers_the_secretary_the_opening_and_it_lands_on_the_term(
    client, community, secretary
):
    login(client, secretary)
    path = f"/communities/{community.id}/term"
    html = client.get(path).get_data(as_text=True)
    assert 'name="assembly_on"' in html and "开启本届任期" in html
    day = local_today().isoformat()  # always within the half year
    response = client.post(path, data={"csrf_token": csrf(client, path), "assembly_on": day})
    (term,) = db.session.scalars(sa.select(Term))
    assert response.status_code == 302 and response.location == f"/terms/{term.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "已开启" in page and day in page
    assert client.get(path).location == f"/terms/{term.id}"  # the menu's link goes there now


def test_a_bad_day_redraws_the_form_with_its_message(client, community, secretary):
    login(client, secretary)
    path = f"/communities/{community.id}/term"
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "assembly_on": "2020-01-01"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-assembly_on"' in html and "联盟大会的日期应在今天" in html
    assert 'value="2020-01-01"' in html
    assert _count(Term) == 0


def test_a_volunteer_sees_when_the_term_opens_but_no_form(client, community):
    login(client, make_volunteer(community))
    path = f"/communities/{community.id}/term"
    html = client.get(path).get_data(as_text=True)
    assert "本社区的第一届任期将于" in html and 'name="assembly_on"' not in html
    assert (
        client.post(
            path, data={"csrf_token": csrf(client, path), "assembly_on": "2030-01-01"}
        ).status_code
        == 403
    )
    assert _count(Term) == 0


# --- the API -----------------------------------------------------------------------------------


def test_the_api_opens_the_term_once(client, community, secretary):
    path = f"/api/v1/alliances/{community.alliance.id}/terms"
    day = local_today().isoformat()
    missing = client.post(path, json={}, headers=bearer(secretary))
    assert missing.status_code == 422 and "assembly_on" in missing.json["errors"]
    assert _count(Term) == 0
    created = client.post(path, json={"assembly_on": day}, headers=bearer(secretary))
    assert created.status_code == 201, created.json
    assert created.json["assembly_on"] == day and created.json["plan_status"] == "awaiting_deputy"
    again = client.post(path, json={"assembly_on": day}, headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "term_already_open"
    assert _count(Term) == 1


# --- a 联盟大会 the secretary scheduled before the term opened -----------------------------------


def _schedule_assembly(secretary, community, day: date) -> Meeting:
    from coop.meetings.models import MeetingKind
    from coop.meetings.service import schedule_meeting

    return schedule_meeting(
        secretary,
        community.id,
        kind=MeetingKind.ASSEMBLY,
        title="联盟大会",
        starts_at=datetime.combine(day, datetime.min.time(), COMMUNITY_TZ) + timedelta(hours=14),
        place="党群服务中心",
        now=NOW,
    )


def test_the_scheduled_assembly_becomes_the_terms_and_no_day_is_asked(community, secretary):
    scheduled = _schedule_assembly(secretary, community, date(2026, 12, 20))
    assert scheduled.term_id is None

    term = service.open_current_term(secretary, community.alliance.id, assembly_on=None, now=NOW)

    assert scheduled.term_id == term.id and _count(Meeting) == 1
    assert queries.require_plan(term.id).assembly_on == date(2026, 12, 20)


def test_another_day_than_the_scheduled_assemblys_is_refused(community, secretary):
    _schedule_assembly(secretary, community, date(2026, 12, 20))
    with pytest.raises(Invalid) as refused:
        service.open_current_term(
            secretary, community.alliance.id, assembly_on=date(2026, 12, 26), now=NOW
        )
    assert "2026-12-20" in refused.value.errors["assembly_on"][0]
    assert _count(Term) == 0 and _count(Meeting) == 1


def test_without_a_scheduled_assembly_the_day_is_needed(community, secretary):
    with pytest.raises(Invalid) as refused:
        service.open_current_term(secretary, community.alliance.id, assembly_on=None, now=NOW)
    assert refused.value.errors["assembly_on"]
    assert _count(Term) == 0


def test_the_page_names_the_scheduled_assembly_instead_of_asking(client, community, secretary):
    today = local_today()
    day = min(today + timedelta(days=1), queries.half_year_end(today))  # in today's half year
    scheduled = _schedule_assembly(secretary, community, day)
    db.session.commit()
    login(client, secretary)
    path = f"/communities/{community.id}/term"
    html = client.get(path).get_data(as_text=True)
    assert 'name="assembly_on"' not in html and f"/meetings/{scheduled.id}" in html

    response = client.post(path, data={"csrf_token": csrf(client, path)})

    assert response.status_code == 302, response.get_data(as_text=True)
    (term,) = db.session.scalars(sa.select(Term))
    assert _count(Meeting) == 1 and db.session.get(Meeting, scheduled.id).term_id == term.id
