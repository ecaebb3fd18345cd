"""三率 against a hand count on a small fixture with explicit timestamps (November 2026)."""

from datetime import date, datetime

import pytest

from coop.needs import rates
from coop.needs.models import NeedStatus
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    login,
    make_community,
    make_need,
    make_secretary,
    make_street_admin,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=COMMUNITY_TZ)
NOVEMBER = date(2026, 11, 1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=COMMUNITY_TZ)


def need(community, status, created, respond_by, resolve_by, **stamps):
    made = make_need(
        community,
        status=status,
        created_at=created,
        respond_by=respond_by,
        resolve_by=resolve_by,
    )
    for column in ("listed_at", "rejected_at", "in_project_at", "resolved_at", "closed_at"):
        setattr(made, column, stamps.get(column))
    return made


@pytest.fixture
def community(ctx):
    community = make_community()
    R, S, L, J = NeedStatus.RESOLVED, NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.REJECTED
    # A: answered in 5 h, solved a day early (48 h).
    need(community, R, at(11, 2), at(11, 3), at(11, 5), listed_at=at(11, 2, 15),
         resolved_at=at(11, 4))  # fmt: skip
    # B: answered late, solved late (216 h).
    need(community, R, at(11, 5), at(11, 6), at(11, 12), listed_at=at(11, 7),
         resolved_at=at(11, 14))  # fmt: skip
    # C: turned down in time: answered, and out of the resolution rate.
    need(community, J, at(11, 10), at(11, 11), at(11, 20, 9), rejected_at=at(11, 10, 12))
    # D: came in yesterday, still inside its 72 h: counted nowhere yet.
    need(community, S, at(11, 19), at(11, 22), at(12, 19))
    # E: never answered, both limits passed.
    need(community, S, at(11, 15), at(11, 16), at(11, 18))
    # F: came in October, due and solved in November (48 h).
    need(community, R, at(10, 30), at(10, 31), at(11, 6), listed_at=at(10, 30, 11),
         resolved_at=at(11, 1))  # fmt: skip
    # G: due on the 30th, still open: undecided.
    need(community, L, at(11, 1), at(11, 2), at(11, 30), listed_at=at(11, 1, 11))
    # H: due on the 30th, solved early (432 h).
    need(community, R, at(11, 1), at(11, 2), at(11, 30), listed_at=at(11, 1, 11),
         resolved_at=at(11, 19))  # fmt: skip
    # Another community's late need changes nothing here.
    need(make_community(), S, at(11, 3), at(11, 4), at(11, 6))
    return community


def test_response_rate_counts_needs_that_came_in_that_month_answered_by_respond_by(community):
    month = rates.month_rates(community.id, NOVEMBER, NOW)
    # came in November: A B C D E G H; decided: A B C E G H (D still has time);
    # answered in time: A C G H.
    assert (month["responded_in_time"], month["response_decided"]) == (4, 6)
    assert month["response_rate"] == round(4 / 6, 4)


def test_resolution_rate_counts_needs_due_that_month_solved_by_resolve_by(community):
    month = rates.month_rates(community.id, NOVEMBER, NOW)
    # due in November, not turned down: A B E F G H; decided: A B E F H (G still has time);
    # solved in time: A F H.
    assert (month["resolved_in_time"], month["resolution_decided"]) == (3, 5)
    assert month["resolution_rate"] == 0.6


def test_median_hours_to_resolve_is_the_middle_of_that_months_solved_needs(community):
    month = rates.month_rates(community.id, NOVEMBER, NOW)
    # solved in November: A 48, F 48, B 216, H 432 → (48 + 216) / 2
    assert month["resolved"] == 4
    assert month["median_hours_to_resolve"] == 132.0


def test_a_month_with_nothing_to_count_has_no_rates(community):
    month = rates.month_rates(community.id, date(2026, 6, 1), NOW)
    assert month["response_rate"] is None and month["resolution_rate"] is None
    assert month["median_hours_to_resolve"] is None


def test_the_last_six_months_newest_first(community):
    months = rates.recent_months(community.id, NOW)
    assert [m["month"] for m in months] == [
        "2026-11",
        "2026-10",
        "2026-09",
        "2026-08",
        "2026-07",
        "2026-06",
    ]
    assert months[1]["responded_in_time"] == 1  # F came in October, answered within the hour


def test_the_stats_api_carries_this_months_rates(client, community, monkeypatch):
    monkeypatch.setattr("coop.alliance.api.utcnow", lambda: NOW)
    body = client.get(
        f"/api/v1/communities/{community.id}/stats", headers=bearer(make_secretary(community))
    ).json
    assert body["response_rate"] == round(4 / 6, 4)
    assert body["resolution_rate"] == 0.6
    assert body["median_hours_to_resolve"] == 132.0
    assert body["rates_by_month"][0]["month"] == "2026-11"


def test_the_satisfaction_rate_is_the_months_ratings_of_four_stars_or_more(
    client, community, monkeypatch
):
    from coop.extensions import db
    from coop.needs.models import Need, NeedRating

    monkeypatch.setattr("coop.alliance.api.utcnow", lambda: NOW)
    secretary = make_secretary(community)
    solved = db.session.scalars(
        db.select(Need).where(Need.community_id == community.id, Need.resolved_at.is_not(None))
    ).all()
    for made, stars, day in zip(solved, (5, 4, 2, 5), (3, 10, 12, 31), strict=True):
        month = 10 if day == 31 else 11  # the last one rated in October: not November's
        db.session.add(
            NeedRating(need_id=made.id, round=1, stars=stars, rated_by_id=secretary.id,
                       created_at=at(month, day))
        )  # fmt: skip
    db.session.flush()
    body = client.get(f"/api/v1/communities/{community.id}/stats", headers=bearer(secretary)).json
    assert body["satisfaction_rate"] == round(2 / 3, 4)
    november, october = body["rates_by_month"][0], body["rates_by_month"][1]
    assert (november["satisfied"], november["rated"]) == (2, 3)
    assert (october["satisfaction_rate"], october["rated"]) == (1.0, 1)


def test_the_community_page_shows_the_rates_and_six_months(client, community, monkeypatch):
    monkeypatch.setattr("coop.alliance.views.utcnow", lambda: NOW)
    login(client, make_secretary(community))
    page = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert "本月响应率" in page and "67%" in page and "60%" in page and "5.5 天" in page
    assert "2026-06" in page and "4/6" in page


def test_the_street_admin_sees_each_communitys_rates(client, community, monkeypatch):
    monkeypatch.setattr("coop.alliance.views.utcnow", lambda: NOW)
    login(client, make_street_admin(community.street))
    page = client.get("/communities").get_data(as_text=True)
    assert "本月响应率 67% · 办结率 60% · 办结用时中位数 5.5 天" in page
