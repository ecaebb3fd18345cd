"""Named reads for matching: the community-wide facts a run scores (each one set-based query,
whatever the number of targets), and the suggestions people look at: a project's stored rows, a
need's read from its own stored ranking."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from coop.alliance.models import Agreement, Community, Membership, Neighbourhood, Unit
from coop.alliance.permissions import visible_community_ids
from coop.auth.models import User
from coop.claims.models import Claim, ClaimStatus, OrderStatus, ResourceOrder
from coop.errors import NotFound
from coop.extensions import db
from coop.matching.models import (
    CandidateType,
    MatchRanking,
    Suggestion,
    SuggestionStatus,
    TargetType,
    membership_neighbourhoods,
)
from coop.matching.scoring import TOP
from coop.needs.models import Need, NeedStatus
from coop.people.models import VolunteerProfile
from coop.projects.models import Project, ProjectStatus
from coop.resources.models import Resource, ResourceStatus, resource_neighbourhoods

OPEN_PROJECT = (ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)


# --- The facts one run reads ---------------------------------------------------------------


def _target_projects(community_id: int):
    return sa.select(Project.id).where(
        Project.community_id == community_id,
        Project.status.in_(OPEN_PROJECT),
        Project.approved_count < Project.slots,
    )


def target_projects(community_id: int) -> list[sa.Row]:
    """Published or claimed projects with a free slot."""
    return db.session.execute(
        sa.select(
            Project.id,
            Project.status,
            Project.category,
            Project.mode,
            Project.starts_at,
            Project.ends_at,
            Project.claim_deadline,
        )
        .where(Project.id.in_(_target_projects(community_id)))
        .order_by(Project.id)
    ).all()


def project_neighbourhoods(community_id: int) -> dict[int, set[int]]:
    """The 邻里单元 of each target project's needs."""
    found: dict[int, set[int]] = {}
    rows = db.session.execute(
        sa.select(Need.project_id, Need.neighbourhood_id)
        .where(
            Need.project_id.in_(_target_projects(community_id)),
            Need.neighbourhood_id.is_not(None),
        )
        .distinct()
    )
    for project_id, neighbourhood_id in rows:
        found.setdefault(project_id, set()).add(neighbourhood_id)
    return found


def _target_needs():
    return sa.and_(Need.status == NeedStatus.LISTED, Need.project_id.is_(None))


def target_needs(community_id: int) -> sa.Result:
    """(id, category, 邻里单元, title, description) of the listed needs not yet compiled into a
    project: each gets its own ranking. Core rows, in id order."""
    return db.session.connection().execute(
        sa.select(Need.id, Need.category, Need.neighbourhood_id, Need.title, Need.description)
        .where(Need.community_id == community_id, _target_needs())
        .order_by(Need.id)
    )


def unit_profiles(unit_ids: set[int]) -> dict[int, str]:
    """unit id → its name and profile (description): what content matching reads of a unit."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.description).where(Unit.id.in_(unit_ids))
    )
    return {uid: f"{name} {description or ''}" for uid, name, description in rows}


def live_unit_ids(community_id: int, today: date) -> set[int]:
    """Members of the community's alliance whose agreement is live today."""
    return set(
        db.session.scalars(
            sa.select(Agreement.unit_id)
            .join(
                Membership,
                sa.and_(
                    Membership.unit_id == Agreement.unit_id,
                    Membership.community_id == Agreement.community_id,
                ),
            )
            .where(
                Agreement.community_id == community_id,
                Agreement.starts_on <= today,
                Agreement.ends_on >= today,
                sa.or_(Agreement.ended_on.is_(None), Agreement.ended_on > today),
            )
            .distinct()
        )
    )


def served_neighbourhoods(community_id: int) -> dict[int, set[int]]:
    """unit id → the 邻里单元 it serves here, for every member unit (empty: all of them)."""
    served: dict[int, set[int]] = {}
    rows = db.session.execute(
        sa.select(Membership.unit_id, membership_neighbourhoods.c.neighbourhood_id)
        .outerjoin(
            membership_neighbourhoods, membership_neighbourhoods.c.membership_id == Membership.id
        )
        .where(Membership.community_id == community_id)
    )
    for unit_id, neighbourhood_id in rows:
        ids = served.setdefault(unit_id, set())
        if neighbourhood_id is not None:
            ids.add(neighbourhood_id)
    return served


def claim_counts(community_id: int) -> list[sa.Row]:
    """(claimant_key, status, category, n): approved (open) and fulfilled claims here."""
    return db.session.execute(
        sa.select(Claim.claimant_key, Claim.status, Project.category, sa.func.count())
        .join(Project, Claim.project_id == Project.id)
        .where(
            Project.community_id == community_id,
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
        )
        .group_by(Claim.claimant_key, Claim.status, Project.category)
    ).all()


def claimants_of_targets(community_id: int) -> set[tuple[int, str]]:
    """(project id, claimant key) of every claim ever made on a target project."""
    return set(
        db.session.execute(
            sa.select(Claim.project_id, Claim.claimant_key)
            .where(Claim.project_id.in_(_target_projects(community_id)))
            .distinct()
        ).all()
    )


def listed_resources(community_id: int) -> list[sa.Row]:
    return db.session.execute(
        sa.select(
            Resource.id,
            Resource.unit_id,
            Resource.kind,
            Resource.category,
            Resource.available_from,
            Resource.available_until,
            Resource.title,
            Resource.description,
        )
        .where(Resource.community_id == community_id, Resource.status == ResourceStatus.LISTED)
        .order_by(Resource.id)
    ).all()


def resource_neighbourhood_ids(community_id: int) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    rows = db.session.execute(
        sa.select(resource_neighbourhoods.c.resource_id, resource_neighbourhoods.c.neighbourhood_id)
        .join(Resource, Resource.id == resource_neighbourhoods.c.resource_id)
        .where(Resource.community_id == community_id, Resource.status == ResourceStatus.LISTED)
    )
    for resource_id, neighbourhood_id in rows:
        found.setdefault(resource_id, set()).add(neighbourhood_id)
    return found


def waiting_orders(community_id: int) -> set[tuple[int, int]]:
    """(project id, resource id) of orders still waiting for the unit's answer."""
    return set(
        db.session.execute(
            sa.select(ResourceOrder.project_id, ResourceOrder.resource_id)
            .join(Project, ResourceOrder.project_id == Project.id)
            .where(
                Project.community_id == community_id,
                ResourceOrder.status == OrderStatus.REQUESTED,
            )
        ).all()
    )


def inactive_user_ids() -> set[int]:
    """Deactivated accounts, read once per run: joining users for each community's volunteers
    would scan all the users every time."""
    return set(db.session.scalars(sa.select(User.id).where(sa.not_(User.is_active))))


def _volunteers_with_claims(community_id: int):
    """Volunteers with an approved (open) or fulfilled claim on the community's projects: the
    claims that claim_counts reads, so they score on their own."""
    return (
        sa.select(Claim.volunteer_id)
        .join(Project, Claim.project_id == Project.id)
        .where(
            Project.community_id == community_id,
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
            Claim.volunteer_id.is_not(None),  # NOT IN a set holding NULL is never true
        )
    )


def _volunteer_skills(community_id: int) -> tuple:
    skills = sa.cast(VolunteerProfile.skills, sa.Text)
    where = (VolunteerProfile.home_community_id == community_id, skills != "[]")
    return skills, where


def volunteer_groups(community_id: int, keep: int) -> sa.Result:
    """(user id, skills as JSON text, party member) for the community's volunteers with a skill
    and no claim here: of each group with the same skills and party membership, only the first
    ``keep`` by id. A group's volunteers all score alike, so one further down could never make
    a ranking of ``keep``. Deactivated users are not left out here; the caller drops them (and
    asks for as many more)."""
    skills, where = _volunteer_skills(community_id)
    place = sa.func.row_number().over(
        partition_by=(skills, VolunteerProfile.is_party_member), order_by=VolunteerProfile.user_id
    )
    ranked = (
        sa.select(
            VolunteerProfile.user_id,
            skills.label("skills"),
            VolunteerProfile.is_party_member,
            place.label("place"),
        )
        .where(*where, VolunteerProfile.user_id.not_in(_volunteers_with_claims(community_id)))
        .subquery()
    )
    # Core, not the ORM: plain rows, a few per group.
    return db.session.connection().execute(
        sa.select(ranked.c.user_id, ranked.c.skills, ranked.c.is_party_member).where(
            ranked.c.place <= keep
        )
    )


def volunteers_with_claims(community_id: int) -> list[sa.Row]:
    """(user id, skills as JSON text, party member) for the community's volunteers with a skill
    and an approved or fulfilled claim here: each scores on her own (load, experience)."""
    skills, where = _volunteer_skills(community_id)
    return db.session.execute(
        sa.select(VolunteerProfile.user_id, skills, VolunteerProfile.is_party_member).where(
            *where, VolunteerProfile.user_id.in_(_volunteers_with_claims(community_id))
        )
    ).all()


def kept_suggestions(community_id: int) -> set[tuple]:
    """(project id, candidate type, candidate id) acted on or dismissed: never suggested for
    that project again. (A need's are skipped when its suggestions are read.)"""
    return set(
        db.session.execute(
            sa.select(
                Suggestion.target_id, Suggestion.candidate_type, Suggestion.candidate_id
            ).where(
                Suggestion.community_id == community_id,
                Suggestion.target_type == TargetType.PROJECT,
                Suggestion.status != SuggestionStatus.OPEN,
            )
        ).all()
    )


def neighbourhood_names(community_id: int) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(Neighbourhood.id, Neighbourhood.name).where(
                Neighbourhood.community_id == community_id
            )
        ).all()
    )


# --- What people look at --------------------------------------------------------------------


@dataclass
class NeedSuggestion:
    """A need's open suggestion: a row of its stored ranking, numbered for the need once the
    candidates dismissed for it are skipped. Not stored per need; ``ranking_id`` is what
    dismissing it names. Reads like a Suggestion."""

    ranking_id: int
    community_id: int
    target_id: int
    candidate_type: CandidateType
    candidate_id: int
    score: float
    rank: int
    reasons: list
    computed_at: datetime
    matched: list = field(default_factory=list)
    target_type: TargetType = TargetType.NEED
    status: SuggestionStatus = SuggestionStatus.OPEN
    id: None = None
    acted_at: None = None
    candidate_name: str = ""
    candidate_unit: str = ""


def suggestions_for(
    targets: list[tuple[TargetType, int]],
    *,
    candidate_type: CandidateType | None = None,
    status: SuggestionStatus | None = None,
    reasons: bool = True,
) -> dict[tuple[TargetType, int], list]:
    """Each target's suggestions: open ones by rank, then those acted on or dismissed. A
    project's are its stored rows; a need's open ones come from its own ranking
    (NeedSuggestion), its dismissed ones are stored. Without ``reasons`` their reasons and
    matched words are left unread (a list that names the candidates only)."""
    found: dict[tuple[TargetType, int], list] = {t: [] for t in targets}
    by_type: dict[TargetType, list[int]] = {}
    for target_type, target_id in targets:
        by_type.setdefault(target_type, []).append(target_id)
    for target_type, ids in by_type.items():
        query = sa.select(Suggestion).where(
            Suggestion.target_type == target_type, Suggestion.target_id.in_(ids)
        )
        if candidate_type is not None:
            query = query.where(Suggestion.candidate_type == candidate_type)
        # A need's open suggestions skip the candidates stored as dismissed for it: those rows
        # are read whatever the status asked for.
        need_open = target_type is TargetType.NEED and status in (None, SuggestionStatus.OPEN)
        if status is not None and not need_open:
            query = query.where(Suggestion.status == status)
        open_first = sa.case((Suggestion.status == SuggestionStatus.OPEN, 0), else_=1)
        query = query.order_by(open_first, Suggestion.rank, Suggestion.id)
        if not reasons:
            query = query.options(defer(Suggestion.reasons), defer(Suggestion.matched))
        stored = list(db.session.scalars(query))
        if need_open:
            kept = {(s.target_id, s.candidate_type, s.candidate_id) for s in stored}
            for need_id, rows in _ranked_for_needs(ids, candidate_type, kept, reasons).items():
                found[(target_type, need_id)].extend(rows)
        for suggestion in stored:
            if status is None or suggestion.status is status:
                found[(target_type, suggestion.target_id)].append(suggestion)
    name_candidates([s for rows in found.values() for s in rows])
    return found


def _ranked_for_needs(
    need_ids: list[int], candidate_type: CandidateType | None, kept: set[tuple], reasons: bool
) -> dict[int, list[NeedSuggestion]]:
    """The listed needs' open suggestions from their own rankings, less ``kept`` (need id,
    candidate type, candidate id): the top TOP of each type, best first."""
    needs = db.session.execute(
        sa.select(Need.id, Need.community_id).where(Need.id.in_(need_ids), _target_needs())
    ).all()
    if not needs:
        return {}
    # Rows, not MatchRanking objects: a board reads a few hundred and changes none.
    columns = [
        MatchRanking.id,
        MatchRanking.community_id,
        MatchRanking.need_id,
        MatchRanking.candidate_type,
        MatchRanking.candidate_id,
        MatchRanking.score,
        MatchRanking.computed_at,
    ]
    if reasons:
        columns += [MatchRanking.reasons, MatchRanking.matched]
    query = sa.select(*columns).where(
        MatchRanking.community_id.in_({n.community_id for n in needs}),
        MatchRanking.need_id.in_([n.id for n in needs]),
    )
    if candidate_type is not None:
        query = query.where(MatchRanking.candidate_type == candidate_type)
    rankings: dict[int, list[sa.Row]] = {}
    for row in db.session.execute(query.order_by(MatchRanking.rank, MatchRanking.id)):
        rankings.setdefault(row.need_id, []).append(row)
    order = list(CandidateType)
    found = {}
    for need in needs:
        shown: list[NeedSuggestion] = []
        taken: dict[CandidateType, int] = dict.fromkeys(CandidateType, 0)
        for row in rankings.get(need.id, ()):
            kind = row.candidate_type
            if taken[kind] == TOP or (need.id, kind, row.candidate_id) in kept:
                continue
            taken[kind] += 1
            shown.append(
                NeedSuggestion(
                    ranking_id=row.id,
                    community_id=row.community_id,
                    target_id=need.id,
                    candidate_type=kind,
                    candidate_id=row.candidate_id,
                    score=row.score,
                    rank=taken[kind],
                    reasons=row.reasons if reasons else [],
                    computed_at=row.computed_at,
                    matched=list(row.matched or ()) if reasons else [],
                )
            )
        shown.sort(key=lambda s: (s.rank, order.index(s.candidate_type)))
        found[need.id] = shown
    return found


def need_ranking(need: Need, ranking_id: int) -> MatchRanking | None:
    """The ranking row, if it is still one of the need's."""
    return db.session.scalar(
        sa.select(MatchRanking).where(
            MatchRanking.id == ranking_id,
            MatchRanking.community_id == need.community_id,
            MatchRanking.need_id == need.id,
        )
    )


def stored_suggestion(
    target_type: TargetType, target_id: int, candidate_type: CandidateType, candidate_id: int
) -> Suggestion | None:
    return db.session.scalar(
        sa.select(Suggestion).where(
            Suggestion.target_type == target_type,
            Suggestion.target_id == target_id,
            Suggestion.candidate_type == candidate_type,
            Suggestion.candidate_id == candidate_id,
        )
    )


def name_candidates(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Give each suggestion ``candidate_name`` (and ``candidate_unit`` for a resource), with
    one query per candidate type."""
    wanted: dict[CandidateType, set[int]] = {}
    for s in suggestions:
        wanted.setdefault(s.candidate_type, set()).add(s.candidate_id)
    names: dict[tuple[CandidateType, int], tuple[str, str]] = {}
    if wanted.get(CandidateType.UNIT):
        rows = db.session.execute(
            sa.select(Unit.id, Unit.name).where(Unit.id.in_(wanted[CandidateType.UNIT]))
        )
        names.update({(CandidateType.UNIT, i): (n, "") for i, n in rows})
    if wanted.get(CandidateType.RESOURCE):
        rows = db.session.execute(
            sa.select(Resource.id, Resource.title, Unit.name)
            .join(Unit, Unit.id == Resource.unit_id)
            .where(Resource.id.in_(wanted[CandidateType.RESOURCE]))
        )
        names.update({(CandidateType.RESOURCE, i): (t, u) for i, t, u in rows})
    if wanted.get(CandidateType.VOLUNTEER):
        rows = db.session.execute(
            sa.select(User.id, User.display_name).where(
                User.id.in_(wanted[CandidateType.VOLUNTEER])
            )
        )
        names.update({(CandidateType.VOLUNTEER, i): (n, "") for i, n in rows})
    for s in suggestions:
        s.candidate_name, s.candidate_unit = names.get((s.candidate_type, s.candidate_id), ("", ""))
    return suggestions


def get_suggestion(actor: User | None, suggestion_id: int, *, for_update: bool = False):
    """:raise NotFound: no such suggestion in a community the actor belongs to."""
    query = sa.select(Suggestion).where(
        Suggestion.id == suggestion_id,
        Suggestion.community_id.in_(visible_community_ids(actor)),
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    suggestion = db.session.scalar(query)
    if suggestion is None:
        raise NotFound()
    return suggestion


def lock_community(community_id: int) -> Community | None:
    """The community's row lock: runs and actions on its suggestions take turns."""
    return db.session.scalar(
        sa.select(Community).where(Community.id == community_id).with_for_update()
    )


def open_targets(community_id: int) -> tuple[sa.Select, sa.Select]:
    """The board's two lists, to page: the projects still needing people (the soonest claim
    deadline first) and the listed needs not yet in a project (the newest first)."""
    projects = (
        sa.select(Project)
        .where(Project.id.in_(_target_projects(community_id)))
        .order_by(Project.claim_deadline, Project.id)
    )
    needs = (
        sa.select(Need)
        .where(Need.community_id == community_id, _target_needs())
        .options(selectinload(Need.neighbourhood))
        .order_by(Need.created_at.desc(), Need.id.desc())
    )
    return projects, needs


def board_target(community_id: int, target_type: TargetType, target_id: int):
    """The project or need of the community's board that a card names, open or not any more
    (its suggestions still read).

    :raise NotFound: no such project or need in the community (a draft is no target).
    """
    if target_type is TargetType.PROJECT:
        query = sa.select(Project).where(
            Project.id == target_id,
            Project.community_id == community_id,
            Project.status != ProjectStatus.DRAFT,
        )
    else:
        query = sa.select(Need).where(Need.id == target_id, Need.community_id == community_id)
    target = db.session.scalar(query)
    if target is None:
        raise NotFound()
    return target


class Fitting(NamedTuple):
    project: Project
    suggestion: Suggestion


def fitting_projects(unit_id: int, community_ids: set[int], now: datetime) -> list[Fitting]:
    """The claimable projects whose suggestions name the unit, best first."""
    rows = db.session.execute(
        sa.select(Project, Suggestion)
        .join(
            Suggestion,
            sa.and_(
                Suggestion.target_type == TargetType.PROJECT,
                Suggestion.target_id == Project.id,
            ),
        )
        .where(
            Suggestion.candidate_type == CandidateType.UNIT,
            Suggestion.candidate_id == unit_id,
            Suggestion.status != SuggestionStatus.DISMISSED,
            Project.community_id.in_(community_ids),
            Project.status == ProjectStatus.PUBLISHED,
            Project.approved_count < Project.slots,
            Project.claim_deadline > now,
        )
        .order_by(Suggestion.score.desc(), Project.claim_deadline, Project.id)
    )
    return [Fitting(*row) for row in rows]


def get_membership(membership_id: int) -> Membership:
    """:raise NotFound: no such membership."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound()
    return membership


def membership_between(unit_id: int, community_id: int) -> Membership:
    """:raise NotFound: the unit is not a member of the community's alliance."""
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.unit_id == unit_id, Membership.community_id == community_id
        )
    )
    if membership is None:
        raise NotFound()
    return membership


def served_ids(membership_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(membership_neighbourhoods.c.neighbourhood_id).where(
                membership_neighbourhoods.c.membership_id == membership_id
            )
        )
    )
