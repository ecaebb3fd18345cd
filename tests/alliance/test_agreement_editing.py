"""Correcting when an agreement runs out: the secretary, by the rules it was recorded under;
whether the unit may claim follows from the new date."""

from datetime import timedelta

import pytest

from coop.alliance import errors, queries, service
from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.timeutil import local_today
from tests.factories import (
    bearer,
    csrf,
    login,
    make_agreement,
    make_community,
    make_liaison,
    make_secretary,
    make_street_admin,
    make_unit,
)

TODAY = local_today()


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业")


@pytest.fixture
def agreement(community, unit):
    """The live one the factory records: from 30 days ago to 335 days ahead."""
    return queries.live_agreement(unit.id, community.id, TODAY)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


# --- the service ---------------------------------------------------------------------------


def test_the_secretary_extends_an_agreement(agreement, secretary):
    later = agreement.ends_on + timedelta(days=365)
    edited = service.edit_agreement(secretary, agreement.id, version=1, ends_on=later)
    db.session.flush()
    assert (edited.ends_on, edited.version) == (later, 2)


def test_shortening_an_agreement_into_the_past_stops_the_unit_claiming(
    community, unit, agreement, secretary
):
    service.edit_agreement(secretary, agreement.id, version=1, ends_on=TODAY - timedelta(days=1))
    assert agreement.status(TODAY) == "expired"
    assert queries.live_agreement(unit.id, community.id, TODAY) is None
    assert unit.id not in queries.live_agreement_unit_ids(community.id, TODAY)


def test_an_agreement_still_ends_after_it_starts(agreement, secretary):
    with pytest.raises(Invalid) as refused:
        service.edit_agreement(secretary, agreement.id, version=1, ends_on=agreement.starts_on)
    assert "ends_on" in refused.value.errors


def test_an_agreement_may_not_grow_into_the_units_next_one(community, unit, agreement, secretary):
    next_one = make_agreement(
        unit,
        community,
        starts_on=agreement.ends_on + timedelta(days=1),
        ends_on=agreement.ends_on + timedelta(days=366),
    )
    with pytest.raises(errors.AgreementOverlaps):
        service.edit_agreement(
            secretary, agreement.id, version=1, ends_on=next_one.starts_on + timedelta(days=5)
        )
    assert agreement.version == 1


def test_an_agreement_ended_early_is_not_in_the_way(community, unit, agreement, secretary):
    """The overlap rule of record_agreement: an agreement ended early ends on its ended_on."""
    old = make_agreement(
        unit,
        community,
        starts_on=agreement.starts_on - timedelta(days=400),
        ends_on=agreement.starts_on + timedelta(days=100),
        ended_on=agreement.starts_on - timedelta(days=1),
    )
    assert old.version == 1
    edited = service.edit_agreement(
        secretary, agreement.id, version=1, ends_on=agreement.ends_on + timedelta(days=10)
    )
    assert edited.ends_on == agreement.ends_on


@pytest.mark.parametrize("ended_days_from_today", [-1, 0, 10])
def test_an_agreement_ended_early_keeps_its_end_date(agreement, secretary, ended_days_from_today):
    service.end_agreement(
        secretary,
        agreement.id,
        ended_on=TODAY + timedelta(days=ended_days_from_today),
        reason="单位撤并",
    )
    db.session.flush()
    before = agreement.ends_on
    with pytest.raises(errors.AgreementAlreadyEnded) as refused:
        service.edit_agreement(
            secretary, agreement.id, version=agreement.version, ends_on=before + timedelta(days=9)
        )
    assert refused.value.status == 409 and "提前终止" in refused.value.message
    assert agreement.ends_on == before


def test_an_expired_agreement_may_be_corrected(community, unit, secretary):
    """A wrong end date is often noticed because the unit could no longer claim."""
    expired = make_agreement(
        make_unit(community, live=False),
        community,
        starts_on=TODAY - timedelta(days=400),
        ends_on=TODAY - timedelta(days=35),
    )
    edited = service.edit_agreement(
        secretary, expired.id, version=1, ends_on=TODAY + timedelta(days=30)
    )
    assert edited.status(TODAY) == "live"


def test_a_stale_version_changes_nothing(agreement, secretary):
    first = agreement.ends_on + timedelta(days=1)
    service.edit_agreement(secretary, agreement.id, version=1, ends_on=first)
    db.session.flush()
    with pytest.raises(VersionConflict):
        service.edit_agreement(
            secretary, agreement.id, version=1, ends_on=first + timedelta(days=1)
        )
    assert agreement.ends_on == first


@pytest.mark.parametrize(
    "who, error",
    [("liaison", Forbidden), ("street_admin", Forbidden), ("other_secretary", NotFound)],
)
def test_only_the_secretary_corrects_an_agreement(community, unit, agreement, who, error):
    actor = {
        "liaison": lambda: make_liaison(unit),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    before = agreement.ends_on
    with pytest.raises(error):
        service.edit_agreement(actor, agreement.id, version=1, ends_on=before + timedelta(1))
    assert agreement.ends_on == before


# --- the API -------------------------------------------------------------------------------


def test_patch_answers_the_agreement_with_its_new_version(client, agreement, secretary):
    later = agreement.ends_on + timedelta(days=30)
    response = client.patch(
        f"/api/v1/agreements/{agreement.id}",
        json={"version": 1, "ends_on": later.isoformat()},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["ends_on"] == later.isoformat() and response.json["version"] == 2


def test_a_stale_patch_is_409_version_conflict_and_changes_nothing(client, agreement, secretary):
    agreement.scope = "别人刚改过"
    db.session.flush()
    before = agreement.ends_on
    response = client.patch(
        f"/api/v1/agreements/{agreement.id}",
        json={"version": 1, "ends_on": (before + timedelta(days=3)).isoformat()},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    db.session.refresh(agreement)
    assert (agreement.ends_on, agreement.version) == (before, 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 1, "ends_on": "2026-13-01"}, "ends_on"),
        ({"version": 1, "ends_on": "2000-01-01"}, "ends_on"),
        ({"version": 1, "starts_on": "2026-01-01"}, "starts_on"),
        ({"version": 1, "scope": "改写协议内容"}, "scope"),
        ({"ends_on": "2030-01-01"}, "version"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, agreement, secretary, body, field):
    before = agreement.ends_on
    response = client.patch(
        f"/api/v1/agreements/{agreement.id}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    db.session.refresh(agreement)
    assert (agreement.ends_on, agreement.version) == (before, 1)


@pytest.mark.parametrize(
    "who, status",
    [("secretary", 200), ("liaison", 403), ("street_admin", 403), ("other_secretary", 404)],
)
def test_who_may_patch_an_agreement(client, community, unit, agreement, who, status):
    actor = {
        "secretary": lambda: make_secretary(community),
        "liaison": lambda: make_liaison(unit),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    later = (agreement.ends_on + timedelta(days=1)).isoformat()
    response = client.patch(
        f"/api/v1/agreements/{agreement.id}",
        json={"version": 1, "ends_on": later},
        headers=bearer(actor),
    )
    assert response.status_code == status


def test_an_agreement_is_read_with_its_version(client, agreement, secretary):
    response = client.get(f"/api/v1/agreements/{agreement.id}", headers=bearer(secretary))
    assert response.status_code == 200 and response.json["version"] == 1


# --- the page ------------------------------------------------------------------------------


def test_the_unit_page_links_the_end_date_edit(client, unit, agreement, secretary):
    login(client, secretary)
    html = client.get(f"/units/{unit.id}").get_data(as_text=True)
    assert f"/agreements/{agreement.id}/edit" in html


def test_the_edit_page_is_filled_in_with_the_end_date_and_version(client, agreement, secretary):
    login(client, secretary)
    html = client.get(f"/agreements/{agreement.id}/edit").get_data(as_text=True)
    assert f'value="{agreement.ends_on.isoformat()}"' in html
    assert 'name="version" value="1"' in html


def _post(client, agreement, ends_on, version="1"):
    path = f"/agreements/{agreement.id}/edit"
    return client.post(
        path, data={"csrf_token": csrf(client, path), "version": version, "ends_on": ends_on}
    )


def test_saving_the_edit_page_moves_the_end_date(client, unit, agreement, secretary):
    login(client, secretary)
    later = agreement.ends_on + timedelta(days=60)
    response = _post(client, agreement, later.isoformat())
    assert response.location == f"/units/{unit.id}"
    db.session.refresh(agreement)
    assert (agreement.ends_on, agreement.version) == (later, 2)


def test_an_end_before_the_start_comes_back_beside_the_field(client, agreement, secretary):
    login(client, secretary)
    before = agreement.ends_on
    response = _post(client, agreement, agreement.starts_on.isoformat())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "到期日期必须晚于生效日期。" in html
    assert 'name="version" value="1"' in html
    db.session.refresh(agreement)
    assert agreement.ends_on == before


def test_an_edit_over_someone_elses_save_comes_back_with_409(client, agreement, secretary):
    login(client, secretary)
    before = agreement.ends_on
    response = _post(client, agreement, (before + timedelta(days=9)).isoformat(), version="7")
    assert response.status_code == 409
    assert "已被他人修改，请刷新后再改。" in response.get_data(as_text=True)
    db.session.refresh(agreement)
    assert agreement.ends_on == before


def test_the_edit_page_of_an_agreement_ended_early_says_so(client, agreement, secretary):
    service.end_agreement(secretary, agreement.id, ended_on=TODAY, reason="单位撤并")
    login(client, secretary)
    response = client.get(f"/agreements/{agreement.id}/edit")
    assert response.status_code == 409
    assert "提前终止" in response.get_data(as_text=True)
