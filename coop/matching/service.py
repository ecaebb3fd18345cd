"""智能匹配: suggesting units, resources and volunteers for the projects and needs that still
need people, and acting on a suggestion.

A run reads each community's facts with a fixed handful of set-based queries (whatever the
number of projects, needs and candidates), scores in memory (coop.matching.scoring) and writes
its suggestions in one bulk insert. It replaces the community's open suggestions; those acted on
or dismissed stay, and their candidate is never suggested for that target again.
"""

import contextlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.alliance.permissions import require
from coop.auth.models import Role, RoleGrant, User
from coop.claims import service as claims_service
from coop.claims.models import ClaimStatus, ResourceOrder
from coop.errors import Conflict, Invalid, NotFound
from coop.extensions import db
from coop.matching import errors, permissions, queries, scoring
from coop.matching.models import (
    SUGGESTION_FLOW,
    CandidateType,
    Suggestion,
    SuggestionStatus,
    TargetType,
    membership_neighbourhoods,
)
from coop.matching.scoring import TOP, ResourceFacts, UnitFacts, VolunteerFacts, Window
from coop.needs import queries as need_queries
from coop.notices.service import notify
from coop.projects import queries as project_queries
from coop.projects.models import Project, ProjectMode, ProjectStatus
from coop.resources.models import ResourceKind
from coop.timeutil import COMMUNITY_TZ

NOTHING: Counter = Counter()  # shared by the many volunteers with no fulfilled claims here

# How far down a ranking to look for candidates not yet acted on or dismissed for a target.
SLACK = 25

P, N = TargetType.PROJECT, TargetType.NEED
UNIT, RESOURCE, VOLUNTEER = CandidateType.UNIT, CandidateType.RESOURCE, CandidateType.VOLUNTEER


# --- Running the matching --------------------------------------------------------------------


def match_all(
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    each: Callable = contextlib.nullcontext,
) -> dict:
    """Match every community; ``each()`` wraps each community's run (the job passes
    unit_of_work, so a community's suggestions are committed together). Returns the counts."""
    community_ids = list(db.session.scalars(sa.select(Community.id).order_by(Community.id)))
    totals: Counter = Counter()
    for done, community_id in enumerate(community_ids, 1):
        with each():
            totals.update(match_community(community_id, now=now))
        if progress is not None:
            progress(done)
    return {"communities": len(community_ids), **totals}


def rematch(actor: User, community_id: int, *, now: datetime) -> dict:
    """The secretary's 立即重新匹配. :raise NotFound, Forbidden."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_act_on_suggestions(actor, community))
    return match_community(community.id, now=now)


def match_community(community_id: int, *, now: datetime) -> dict:
    """Replace the community's open suggestions with a fresh top 5 per candidate type for every
    published project with a free slot and every listed need not yet in a project. Same facts,
    same suggestions. :raise NotFound: no such community."""
    community = queries.lock_community(community_id)  # one run (or action) at a time
    if community is None:
        raise NotFound()
    with force_locale("zh"):  # reasons are stored in Chinese, whoever pressed the button
        rows, counts = _Run(community, now).suggestions()
    # Rows deleted here may come back under the same id (SQLite): forget the old objects.
    for obj in [o for o in db.session.identity_map.values() if isinstance(o, Suggestion)]:
        db.session.expunge(obj)
    db.session.execute(
        sa.delete(Suggestion)
        .where(Suggestion.community_id == community.id, Suggestion.status == SuggestionStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    _insert(community.id, now, rows)
    return {**counts, "suggestions": len(rows)}


COLUMNS = (
    "community_id",
    "target_type",
    "target_id",
    "candidate_type",
    "candidate_id",
    "score",
    "rank",
    "reasons",
    "status",
    "computed_at",
)


def _insert(community_id: int, now: datetime, rows: list[tuple]) -> None:
    """Write the run's rows: COPY on PostgreSQL (a city's suggestions are around a million
    rows a night), one executemany elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(
            sa.insert(Suggestion.__table__),
            [
                dict(zip(COLUMNS, (community_id, *row[:6], row[6], "open", now), strict=True))
                for row in rows
            ],
        )
        return
    driver = connection.connection.driver_connection
    statement = f"COPY match_suggestions ({', '.join(COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((community_id, *row[:6], row[7], "open", now))


class _Run:
    """One community's run: its facts, loaded once, and the rankings built from them."""

    def __init__(self, community: Community, now: datetime):
        self.community, self.now = community, now
        self.today = now.astimezone(COMMUNITY_TZ).date()
        cid = community.id
        self.ctx = scoring.Context(queries.neighbourhood_names(cid))

        load: dict[str, Counter] = defaultdict(Counter)
        done: dict[str, dict[int, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for key, status, category, n in queries.claim_counts(cid):
            kind, _sep, ident = key.partition(":")
            if status is ClaimStatus.APPROVED:
                load[kind][int(ident)] += n
            else:
                done[kind][int(ident)][category] += n
        self.unit_load = load["unit"]

        served = queries.served_neighbourhoods(cid)
        limit = community.max_open_claims
        units = {
            uid: UnitFacts(
                uid, frozenset(served.get(uid, ())), load["unit"][uid], done["unit"][uid]
            )
            for uid in queries.live_unit_ids(cid, self.today)
        }
        kind_labels = {kind: kind.label for kind in ResourceKind}
        around = queries.resource_neighbourhood_ids(cid)
        self.resources_by_category: dict = defaultdict(list)
        self.resources_of_unit: dict[int, set[int]] = defaultdict(set)
        for r in queries.listed_resources(cid):
            facts = ResourceFacts(
                r.id,
                r.unit_id,
                kind_labels[r.kind],
                r.category,
                r.available_from,
                r.available_until,
                frozenset(around.get(r.id, ())),
            )
            self.resources_of_unit[r.unit_id].add(r.id)
            unit = units.get(r.unit_id)
            if unit is not None:
                unit.resources.append(facts)
                if unit.open_claims < limit:  # a unit at its limit cannot accept an order
                    self.resources_by_category[r.category].append(facts)
        self.units = [u for u in units.values() if u.open_claims < limit]

        fits_of: dict[str, frozenset] = {}
        self.volunteers = []
        for user_id, skills, party in queries.volunteers(cid):
            fits: dict = {}
            for skill in skills or ():
                if skill not in fits_of:
                    fits_of[skill] = scoring.skill_categories(skill)
                for category in fits_of[skill]:
                    fits.setdefault(category, []).append(skill)
            if fits:
                self.volunteers.append(
                    VolunteerFacts(
                        user_id,
                        fits,
                        party,
                        load["volunteer"].get(user_id, 0),
                        done["volunteer"].get(user_id, NOTHING),
                    )
                )
        self._rankings: dict = {}
        self._resource_order: dict = {}

        self.kept: dict[tuple, set[int]] = defaultdict(set)
        for target_type, target_id, candidate_type, candidate_id in queries.kept_suggestions(cid):
            self.kept[(target_type, target_id, candidate_type)].add(candidate_id)
        self.claimed: dict[tuple, set[int]] = defaultdict(set)
        for project_id, key in queries.claimants_of_targets(cid):
            kind, _sep, ident = key.partition(":")
            self.claimed[(project_id, kind)].add(int(ident))
        self.ordered: dict[int, set[int]] = defaultdict(set)
        for project_id, resource_id in queries.waiting_orders(cid):
            self.ordered[project_id].add(resource_id)

    # -- rankings, each built once per run and shared by the targets asking the same

    def _said(self, ranking) -> list[tuple]:
        """(score, id, phrases, phrases as JSON): the words are made once per ranking row."""
        said = []
        for score, candidate_id, tokens in ranking:
            phrases = [scoring.phrase(t, self.ctx) for t in tokens]
            said.append((score, candidate_id, phrases, json.dumps(phrases, ensure_ascii=False)))
        return said

    def _cached(self, key, build):
        if key not in self._rankings:
            self._rankings[key] = self._said(build())
        return self._rankings[key]

    def unit_ranking(self, category, wanted, window):
        return self._cached(
            (UNIT, category, wanted, window),
            lambda: scoring.ranked(
                ((u.id, scoring.score_unit(u, category, wanted, window)) for u in self.units),
                limit=TOP + SLACK,
            ),
        )

    def resource_ranking(self, category, wanted, window):
        if category not in self._resource_order:
            self._resource_order[category] = sorted(
                (
                    (scoring.resource_static(r, self.unit_load[r.unit_id], category), r)
                    for r in self.resources_by_category[category] + self.resources_by_category[None]
                ),
                key=lambda pair: (-pair[0], pair[1].id),
            )
        ordered = self._resource_order[category]
        return self._cached(
            (RESOURCE, category, wanted, window),
            lambda: scoring.top_resources(
                ordered, self.unit_load, category, wanted, window, TOP + SLACK
            ),
        )

    def volunteer_ranking(self, category):
        return self._cached(
            (VOLUNTEER, category),
            lambda: scoring.ranked(
                ((v.id, scoring.score_volunteer(v, category)) for v in self.volunteers),
                limit=TOP + SLACK,
            ),
        )

    def _emit(self, rows, target_type, target_id, candidate_type, ranking, skip):
        chosen = scoring.pick(ranking, skip)
        for rank, (score, candidate_id, phrases, as_json) in enumerate(chosen, 1):
            rows.append(
                (
                    target_type.value,
                    target_id,
                    candidate_type.value,
                    candidate_id,
                    float(score),
                    rank,
                    phrases,
                    as_json,
                )
            )

    def suggestions(self) -> tuple[list[tuple], dict]:
        rows: list[tuple] = []
        projects = queries.target_projects(self.community.id)
        where = queries.project_neighbourhoods(self.community.id)
        for p in projects:
            self._project(rows, p, frozenset(where.get(p.id, ())))
        needs = queries.target_needs(self.community.id)
        self._needs(rows, needs)
        return rows, {"projects": len(projects), "needs": len(needs)}

    def _project(self, rows, p, wanted):
        window = Window(
            p.starts_at.astimezone(COMMUNITY_TZ).date(), p.ends_at.astimezone(COMMUNITY_TZ).date()
        )
        kept = self.kept
        claimed_units = self.claimed[(p.id, "unit")]
        claimable = p.claim_deadline > self.now  # past it, only a 资源点单 still helps
        if claimable and p.mode is ProjectMode.TEAM:
            ranking = self.unit_ranking(p.category, wanted, window)
            self._emit(rows, P, p.id, UNIT, ranking, claimed_units | kept[(P, p.id, UNIT)])
        skip = self.ordered[p.id] | kept[(P, p.id, RESOURCE)]
        for unit_id in claimed_units:  # a unit that claimed it would refuse the order
            skip |= self.resources_of_unit[unit_id]
        ranking = self.resource_ranking(p.category, wanted, window)
        self._emit(rows, P, p.id, RESOURCE, ranking, skip)
        if claimable and p.mode is ProjectMode.ROUTINE:
            skip = self.claimed[(p.id, "volunteer")] | kept[(P, p.id, VOLUNTEER)]
            self._emit(rows, P, p.id, VOLUNTEER, self.volunteer_ranking(p.category), skip)

    def _needs(self, rows, needs):
        """Needs sharing a category and a 邻里单元 share their rankings."""
        window = Window(self.today, self.today, is_now=True)
        for need in needs:
            wanted = frozenset({need.neighbourhood_id} - {None})
            rankings = (
                (UNIT, self.unit_ranking(need.category, wanted, window)),
                (RESOURCE, self.resource_ranking(need.category, wanted, window)),
                (VOLUNTEER, self.volunteer_ranking(need.category)),
            )
            for candidate_type, ranking in rankings:
                skip = self.kept.get((N, need.id, candidate_type), ())
                self._emit(rows, N, need.id, candidate_type, ranking, skip)


# --- Reading suggestions ---------------------------------------------------------------------


def target_suggestions(
    actor: User,
    target_type: TargetType,
    target_id: int,
    *,
    candidate_type: CandidateType | None = None,
    status: SuggestionStatus | None = None,
) -> list[Suggestion]:
    """A project's or need's suggestions, for the community's staff. :raise NotFound,
    Forbidden."""
    if target_type is TargetType.PROJECT:
        community = project_queries.get_project(actor, target_id).community
    else:
        community = need_queries.get_need(actor, target_id).community
    require(permissions.can_view_suggestions(actor, community))
    found = queries.suggestions_for(
        [(target_type, target_id)], candidate_type=candidate_type, status=status
    )
    return found[(target_type, target_id)]


def fitting_projects(actor: User, unit_id: int, *, now: datetime) -> list[queries.Fitting]:
    """The projects the matching suggests the unit for, still open for claiming.
    :raise NotFound: a unit the actor cannot see. :raise Forbidden: not its liaison or
    secretary."""
    unit = alliance_queries.get_unit(actor, unit_id)
    communities = permissions.fitting_community_ids(actor, unit)
    require(bool(communities))
    return queries.fitting_projects(unit.id, communities, now)


# --- Acting on a suggestion ------------------------------------------------------------------


def _acting_on(actor: User, suggestion_id: int, action: str) -> Suggestion:
    """The suggestion, locked, once the actor may act and the move is legal.

    :raise NotFound, Forbidden. :raise IllegalTransition: already acted on or dismissed.
    """
    suggestion = queries.get_suggestion(actor, suggestion_id)
    community = db.session.get(Community, suggestion.community_id)
    require(permissions.can_act_on_suggestions(actor, community))
    queries.lock_community(community.id)  # a rerun does not replace it under our feet
    try:
        suggestion = queries.get_suggestion(actor, suggestion_id, for_update=True)
    except NotFound:
        message = _("推荐已重新计算，请刷新页面后再操作。")
        raise Conflict(message, code="suggestion_replaced") from None
    SUGGESTION_FLOW.check(suggestion, action)
    return suggestion


def _acted(actor: User, suggestion: Suggestion, action: str, now: datetime) -> Suggestion:
    SUGGESTION_FLOW.move(suggestion, action)
    suggestion.acted_by_id, suggestion.acted_at = actor.id, now
    db.session.flush()
    return suggestion


def _liaisons(unit_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id)
            .where(RoleGrant.role == Role.UNIT_LIAISON, RoleGrant.unit_id == unit_id)
            .distinct()
            .order_by(RoleGrant.user_id)
        )
    )


def invite(actor: User, suggestion_id: int, *, now: datetime) -> Suggestion:
    """邀请认领: the suggested unit's liaisons get a notice with a link to claim the project.

    :raise NotInvitable: not a unit suggested for a project. :raise ProjectClosed: no longer
    open for claiming. :raise NoLiaison: nobody at the unit to tell. :raise IllegalTransition.
    """
    suggestion = _acting_on(actor, suggestion_id, "invite")
    if suggestion.target_type is not P or suggestion.candidate_type is not UNIT:
        raise errors.NotInvitable()
    project = db.session.get(Project, suggestion.target_id)
    if (
        project is None
        or project.status is not ProjectStatus.PUBLISHED
        or project.free_slots <= 0
        or project.claim_deadline <= now
    ):
        raise errors.ProjectClosed()
    liaisons = _liaisons(suggestion.candidate_id)
    if not liaisons:
        raise errors.NoLiaison()
    title = _("邀请认领：%(title)s", title=project.title[:100])
    body = _(
        "社区邀请贵单位认领项目“%(title)s”（%(category)s）。推荐理由：%(reasons)s。",
        title=project.title,
        category=project.category.label,
        reasons="；".join(suggestion.reasons),
    )
    for user_id in liaisons:
        notify(user_id, title, body=body, link=f"/projects/{project.id}/claim")
    return _acted(actor, suggestion, "invite", now)


def order(actor: User, suggestion_id: int, *, now: datetime, note: str = "") -> ResourceOrder:
    """资源点单 from a suggested resource: a request to its unit through the claims service.

    :raise NotOrderable: not a resource suggested for a project. :raise NotClaimable,
    OrderTaken, Invalid: as claims.service.order_resource. :raise IllegalTransition.
    """
    suggestion = _acting_on(actor, suggestion_id, "order")
    if suggestion.target_type is not P or suggestion.candidate_type is not RESOURCE:
        raise errors.NotOrderable()
    note = note or _("智能匹配推荐：%(reasons)s", reasons="；".join(suggestion.reasons))
    made = claims_service.order_resource(
        actor, suggestion.target_id, suggestion.candidate_id, note=note
    )
    _acted(actor, suggestion, "order", now)
    return made


def dismiss(actor: User, suggestion_id: int, *, now: datetime) -> Suggestion:
    """忽略: the candidate is not suggested for this target again. :raise IllegalTransition."""
    suggestion = _acting_on(actor, suggestion_id, "dismiss")
    return _acted(actor, suggestion, "dismiss", now)


# --- The 邻里单元 a unit serves ----------------------------------------------------------------


def set_served_neighbourhoods(
    actor: User, membership_id: int, neighbourhood_ids: list[int]
) -> list[int]:
    """The secretary says which 邻里单元 a member unit serves in her community (none: all).

    :raise NotFound, Forbidden. :raise Invalid: a 邻里单元 of another community.
    """
    membership = queries.get_membership(membership_id)
    community = alliance_queries.get_community(actor, membership.community_id)
    require(permissions.can_set_served_neighbourhoods(actor, community))
    chosen = set(neighbourhood_ids)
    if chosen - {n.id for n in community.neighbourhoods}:
        raise Invalid(errors={"neighbourhood_ids": [_("请选择本社区的邻里单元。")]})
    table = membership_neighbourhoods
    db.session.execute(sa.delete(table).where(table.c.membership_id == membership.id))
    if chosen:
        db.session.execute(
            sa.insert(table),
            [{"membership_id": membership.id, "neighbourhood_id": n} for n in sorted(chosen)],
        )
    db.session.flush()
    return sorted(chosen)
