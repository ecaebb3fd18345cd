"""智能匹配: suggesting units, resources and volunteers for the projects and needs that still
need people, and acting on a suggestion.

A run reads each community's facts with a fixed handful of set-based queries (whatever the
number of projects, needs and candidates), scores in memory (coop.matching.scoring, and
coop.matching.content for what a need says) and writes in bulk. A project gets its own
suggestions: the run replaces the community's open ones; those acted on or dismissed stay, and
their candidate is never suggested for that project again. Each listed need gets its own short
ranking (MatchRanking rows with its need_id): hard limits rule candidates out, its words re-rank
what its category and 邻里单元 would give; a need's suggestions are read from it, less the
candidates dismissed for that need (a dismissed Suggestion row). Reading never writes.
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
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.matching import content, errors, permissions, queries, scoring
from coop.matching.models import (
    SUGGESTION_FLOW,
    CandidateType,
    MatchRanking,
    Suggestion,
    SuggestionStatus,
    TargetType,
    membership_neighbourhoods,
)
from coop.matching.scoring import TOP, ResourceFacts, UnitFacts, VolunteerFacts, Window
from coop.needs import queries as need_queries
from coop.needs.models import NeedStatus
from coop.notices.service import notify
from coop.projects import queries as project_queries
from coop.projects.models import Project, ProjectMode, ProjectStatus
from coop.resources.models import ResourceKind
from coop.timeutil import COMMUNITY_TZ

NOTHING: Counter = Counter()  # shared by the many volunteers with no fulfilled claims here

# How far down a ranking to look for candidates not yet acted on or dismissed for a project.
SLACK = 25
# A need's stored ranking keeps this many rows per candidate type: what the board shows. A city
# has some 180,000 listed needs, and every row more per need is half a million rows a night, so
# a candidate dismissed for a need leaves its card one short until the next run (or 立即重新匹配).
NEED_KEEP = 3  # what the board shows of each type

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
    ids = community_ids()
    inactive = queries.inactive_user_ids()  # once for the night, not once per community
    totals: Counter = Counter()
    for done, community_id in enumerate(ids, 1):
        with each():
            totals.update(match_community(community_id, now=now, inactive=inactive))
        if progress is not None:
            progress(done)
    return {"communities": len(ids), **totals}


def community_ids() -> list[int]:
    """Every community, in id order: what a nightly run goes over."""
    return list(db.session.scalars(sa.select(Community.id).order_by(Community.id)))


def rematch(actor: User, community_id: int, *, now: datetime) -> dict:
    """The secretary's 立即重新匹配. :raise NotFound, Forbidden."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_act_on_suggestions(actor, community))
    return match_community(community.id, now=now)


def match_community(community_id: int, *, now: datetime, inactive: set[int] | None = None) -> dict:
    """Replace the community's open project suggestions with a fresh top 5 per candidate type
    for every published project with a free slot, and its need rankings with a fresh one for
    each of its listed needs not yet in a project. Same facts, same rows.
    ``inactive``: the deactivated users, if the caller has read them. :raise NotFound: no such
    community."""
    community = queries.lock_community(community_id)  # one run (or action) at a time
    if community is None:
        raise NotFound()
    if inactive is None:
        inactive = queries.inactive_user_ids()
    with force_locale("zh"):  # reasons are stored in Chinese, whoever pressed the button
        suggestions, rankings, counts = _Run(community, now, inactive).rows()
    # Rows deleted here may come back under the same id (SQLite): forget the old objects.
    for obj in [
        o for o in db.session.identity_map.values() if isinstance(o, Suggestion | MatchRanking)
    ]:
        db.session.expunge(obj)
    db.session.execute(
        sa.delete(Suggestion)
        .where(Suggestion.community_id == community.id, Suggestion.status == SuggestionStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(MatchRanking)
        .where(MatchRanking.community_id == community.id)
        .execution_options(synchronize_session=False)
    )
    _insert(Suggestion.__table__, SUGGESTION_COLUMNS, suggestions)
    _insert(MatchRanking.__table__, RANKING_COLUMNS, rankings)
    return {**counts, "suggestions": len(suggestions), "rankings": len(rankings)}


SUGGESTION_COLUMNS = (
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
# The need's columns first, then the candidate's: on PostgreSQL a need's rows are COPY text
# lines, its prefix joined to each of its ranking's (shared, preformatted) tails.
RANKING_COLUMNS = (
    "community_id",
    "need_id",
    "category",
    "neighbourhood_id",
    "computed_at",
    "candidate_type",
    "candidate_id",
    "score",
    "rank",
    "reasons",
    "matched",
)


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert(table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write a run's rows (``reasons`` as JSON text): COPY on PostgreSQL (a city's rankings and
    project suggestions are a few hundred thousand rows a night), one executemany elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        texts = {columns.index(c) for c in ("reasons", "matched") if c in columns}
        db.session.execute(
            sa.insert(table),
            [
                {
                    column: json.loads(value) if at in texts else value
                    for at, (column, value) in enumerate(zip(columns, row, strict=True))
                }
                for row in rows
            ],
        )
        return
    driver = connection.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if isinstance(rows[0], str):  # COPY text lines, made by the run
            for at in range(0, len(rows), 5000):
                copy.write("".join(rows[at : at + 5000]))
            return
        for row in rows:
            copy.write_row(row)


class _Run:
    """One community's run: its facts, loaded once, and the rankings built from them."""

    def __init__(self, community: Community, now: datetime, inactive: set[int]):
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
        self.resource_facts: dict[int, ResourceFacts] = {}
        for r in queries.listed_resources(cid):
            facts = ResourceFacts(
                r.id,
                r.unit_id,
                kind_labels[r.kind],
                r.category,
                r.available_from,
                r.available_until,
                frozenset(around.get(r.id, ())),
                r.kind,
                content.tokens(f"{r.title} {r.description}"),
            )
            self.resource_facts[r.id] = facts
            self.resources_of_unit[r.unit_id].add(r.id)
            unit = units.get(r.unit_id)
            if unit is not None:
                unit.resources.append(facts)
                if unit.open_claims < limit:  # a unit at its limit cannot accept an order
                    self.resources_by_category[r.category].append(facts)
        self.units = [u for u in units.values() if u.open_claims < limit]
        self.unit_serves = {uid: u.serves for uid, u in units.items()}
        self._unit_texts = units  # their words are read only if a need asks (_indexes)

        # Volunteers without claims here score alike when their skills and party membership
        # are the same: each such group is one VolunteerFacts with the few ids a ranking can
        # reach. Those with claims (load, experience) are scored one by one.
        self._fits_of: dict[str, dict] = {}
        self.volunteers: list[tuple[VolunteerFacts, list[int]]] = []
        groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for user_id, skills, party in queries.volunteer_groups(cid, TOP + SLACK + len(inactive)):
            if user_id not in inactive:
                groups[(skills, party)].append(user_id)
        # A volunteer whose skills fit no category can still match a need by what they say.
        self.volunteers_by_words: list[tuple[VolunteerFacts, list[int]]] = []
        for (skills, party), ids in groups.items():
            facts = VolunteerFacts(self._fits(skills), party, words=self._skill_words(skills))
            self.volunteers_by_words.append((facts, ids))
            if facts.fits:
                self.volunteers.append((facts, ids))
        for user_id, skills, party in queries.volunteers_with_claims(cid):
            if user_id not in inactive:
                facts = VolunteerFacts(
                    self._fits(skills),
                    party,
                    load["volunteer"].get(user_id, 0),
                    done["volunteer"].get(user_id, NOTHING),
                    self._skill_words(skills),
                )
                self.volunteers_by_words.append((facts, [user_id]))
                if facts.fits:
                    self.volunteers.append((facts, [user_id]))
        self._rankings: dict = {}
        self._resource_order: dict = {}
        self._said_cache: dict = {}
        self._tails: dict = {}  # id of a shared need ranking → its COPY text tails
        self.copy_text = db.session.connection().dialect.name == "postgresql"

        self.kept: dict[tuple, set[int]] = defaultdict(set)
        for project_id, candidate_type, candidate_id in queries.kept_suggestions(cid):
            self.kept[(project_id, candidate_type)].add(candidate_id)
        self.claimed: dict[tuple, set[int]] = defaultdict(set)
        for project_id, key in queries.claimants_of_targets(cid):
            kind, _sep, ident = key.partition(":")
            self.claimed[(project_id, kind)].add(int(ident))
        self.ordered: dict[int, set[int]] = defaultdict(set)
        for project_id, resource_id in queries.waiting_orders(cid):
            self.ordered[project_id].add(resource_id)

    @staticmethod
    def _skill_words(skills: str) -> tuple[str, ...]:
        return content.tokens(" ".join(json.loads(skills) or ()))

    def _fits(self, skills: str) -> dict:
        """category → the skills (a JSON list) that fit it; the same lists recur a lot."""
        if skills not in self._fits_of:
            fits: dict = {}
            for skill in json.loads(skills) or ():
                for category in scoring.skill_categories(skill):
                    fits.setdefault(category, []).append(skill)
            self._fits_of[skills] = fits
        return self._fits_of[skills]

    # -- rankings, each built once per run and shared by the targets asking the same

    def _said(self, ranking) -> list[tuple]:
        """(score, id, reasons as JSON): the words are made once per ranking row."""
        said = []
        for score, candidate_id, tokens in ranking:
            phrases = [scoring.phrase(t, self.ctx) for t in tokens]
            said.append((float(score), candidate_id, json.dumps(phrases, ensure_ascii=False)))
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

    def _ordered(self, category):
        """The resources a ranking of the category reads, best static part first."""
        if category not in self._resource_order:
            self._resource_order[category] = sorted(
                (
                    (scoring.resource_static(r, self.unit_load[r.unit_id], category), r)
                    for r in self.resources_by_category[category] + self.resources_by_category[None]
                ),
                key=lambda pair: (-pair[0], pair[1].id),
            )
        return self._resource_order[category]

    def resource_ranking(self, category, wanted, window):
        ordered = self._ordered(category)
        return self._cached(
            (RESOURCE, category, wanted, window),
            lambda: scoring.top_resources(
                ordered, self.unit_load, category, wanted, window, TOP + SLACK
            ),
        )

    def volunteer_ranking(self, category):
        def scored():
            for facts, ids in self.volunteers:
                found = scoring.score_volunteer(facts, category)
                if found is not None:
                    for volunteer_id in ids:
                        yield volunteer_id, found

        return self._cached(
            (VOLUNTEER, category), lambda: scoring.ranked(scored(), limit=TOP + SLACK)
        )

    def rows(self) -> tuple[list[tuple], list[tuple], dict]:
        """The projects' suggestion rows, the needs' ranking rows, and the counts."""
        cid = self.community.id
        suggestions: list[tuple] = []
        projects = queries.target_projects(cid)
        where = queries.project_neighbourhoods(cid)
        for p in projects:
            self._project(suggestions, p, frozenset(where.get(p.id, ())))
        rankings: list[tuple] = []
        needs = 0
        for need in queries.target_needs(cid):
            self._need(rankings, need)
            needs += 1
        return suggestions, rankings, {"projects": len(projects), "needs": needs}

    def _emit(self, rows, project_id, candidate_type, ranking, skip):
        for rank, (score, candidate_id, reasons) in enumerate(scoring.pick(ranking, skip), 1):
            rows.append(
                (
                    self.community.id,
                    P.value,
                    project_id,
                    candidate_type.value,
                    candidate_id,
                    score,
                    rank,
                    reasons,
                    SuggestionStatus.OPEN.value,
                    self.now,
                )
            )

    def _project(self, rows, p, wanted):
        window = Window(
            p.starts_at.astimezone(COMMUNITY_TZ).date(), p.ends_at.astimezone(COMMUNITY_TZ).date()
        )
        kept = self.kept
        claimed_units = self.claimed[(p.id, "unit")]
        claimable = p.claim_deadline > self.now  # past it, only a 资源点单 still helps
        if claimable and p.mode is ProjectMode.TEAM:
            ranking = self.unit_ranking(p.category, wanted, window)
            self._emit(rows, p.id, UNIT, ranking, claimed_units | kept[(p.id, UNIT)])
        skip = self.ordered[p.id] | kept[(p.id, RESOURCE)]
        for unit_id in claimed_units:  # a unit that claimed it would refuse the order
            skip |= self.resources_of_unit[unit_id]
        ranking = self.resource_ranking(p.category, wanted, window)
        self._emit(rows, p.id, RESOURCE, ranking, skip)
        if claimable and p.mode is ProjectMode.ROUTINE:
            skip = self.claimed[(p.id, "volunteer")] | kept[(p.id, VOLUNTEER)]
            self._emit(rows, p.id, VOLUNTEER, self.volunteer_ranking(p.category), skip)

    # -- a need's own ranking: hard limits, then what it says (scoring.need_*)

    def _indexes(self):
        """The community's BM25 indexes (resources, units, volunteer groups), built once, when
        the first need asks."""
        if not hasattr(self, "_index"):
            resources = [r for rs in self.resources_by_category.values() for r in rs]
            titles: dict[int, list[str]] = defaultdict(list)
            for r in resources:
                titles[r.unit_id].extend(r.words)
            profiles = queries.unit_profiles({u.id for u in self.units})
            for unit in self.units:
                unit.words = content.tokens(profiles.get(unit.id, "")) + tuple(titles[unit.id])
            self._index = (
                content.Index.build((r.id, r.words) for r in resources),
                content.Index.build((u.id, u.words) for u in self.units),
                content.Index.build(
                    (i, f.words) for i, (f, _ids) in enumerate(self.volunteers_by_words)
                ),
            )
            self._need_memo: dict = {}
            self._need_pools: dict = {}
        return self._index

    def _pool(self, key, build):
        if key not in self._need_pools:
            self._need_pools[key] = build()
        return self._need_pools[key]

    def _need_resources(self, category, wanted, window, kinds, hits):
        unit_load, serves = self.unit_load, self.unit_serves

        def score(resource, found=None):
            return scoring.need_resource(
                resource,
                unit_load[resource.unit_id],
                serves.get(resource.unit_id, frozenset()),
                category,
                wanted,
                window,
                kinds,
                found,
            )

        pool = self._pool(
            (RESOURCE, category, wanted, kinds),
            lambda: scoring.top_need_resources(self._ordered(category), score, NEED_KEEP),
        )
        found = {rid: (sc, tokens, words) for sc, rid, tokens, words in pool}
        for rid, hit in hits.items():
            scored = score(self.resource_facts[rid], hit)
            if scored is not None:
                found[rid] = scored
            else:
                found.pop(rid, None)
        return found

    def _need_units(self, category, wanted, window, hits):
        units = {u.id: u for u in self.units}

        def base():
            scored = (
                (u.id, scoring.need_unit(u, category, wanted, window, None)) for u in self.units
            )
            rows = [(s[0], uid, s[1], s[2]) for uid, s in scored if s is not None]
            rows.sort(key=lambda row: (-row[0], row[1]))
            return rows[:NEED_KEEP]

        pool = self._pool((UNIT, category, wanted), base)
        found = {uid: (sc, tokens, words) for sc, uid, tokens, words in pool}
        for uid, hit in hits.items():
            scored = scoring.need_unit(units[uid], category, wanted, window, hit)
            if scored is not None:
                found[uid] = scored
        return found

    def _need_volunteers(self, category, hits):
        def base():
            rows = []
            for facts, ids in self.volunteers:
                s = scoring.need_volunteer(facts, category, None)
                if s is not None:
                    rows.extend((s[0], vid, s[1], s[2]) for vid in ids[:NEED_KEEP])
            rows.sort(key=lambda row: (-row[0], row[1]))
            return rows[:NEED_KEEP]

        pool = self._pool((VOLUNTEER, category), base)
        found = {vid: (sc, tokens, words) for sc, vid, tokens, words in pool}
        for position, hit in hits.items():
            facts, ids = self.volunteers_by_words[position]
            scored = scoring.need_volunteer(facts, category, hit)
            if scored is not None:
                for vid in ids[:NEED_KEEP]:
                    found[vid] = scored
        return found

    def _need_rows(self, category, neighbourhood_id, words):
        """(candidate type, id, score, rank, reasons JSON, matched JSON) of a need's ranking;
        needs saying the same words in the same category and 邻里单元 share one."""
        key = (category, neighbourhood_id, frozenset(words))
        if key in self._need_memo:
            return self._need_memo[key]
        resource_index, unit_index, volunteer_index = self._index
        window = Window(self.today, self.today, is_now=True)
        wanted = frozenset({neighbourhood_id} - {None})
        kinds = content.usable_kinds(words)
        found = (
            (
                RESOURCE,
                self._need_resources(category, wanted, window, kinds, resource_index.scores(words)),
            ),
            (UNIT, self._need_units(category, wanted, window, unit_index.scores(words))),
            (VOLUNTEER, self._need_volunteers(category, volunteer_index.scores(words))),
        )
        rows = []
        for candidate_type, scored in found:
            best = sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))[:NEED_KEEP]
            for rank, (candidate_id, (score, tokens, matched)) in enumerate(best, 1):
                rows.append(
                    (
                        candidate_type.value,
                        candidate_id,
                        float(score),
                        rank,
                        self._phrases(tuple(tokens)),
                        self._words(matched),
                    )
                )
        self._need_memo[key] = rows
        return rows

    def _phrases(self, tokens: tuple) -> str:
        said = self._said_cache.get(tokens)
        if said is None:
            phrases = [scoring.phrase(t, self.ctx) for t in tokens]
            said = self._said_cache[tokens] = json.dumps(phrases, ensure_ascii=False)
        return said

    def _words(self, matched: tuple) -> str:
        said = self._said_cache.get(("words", matched))
        if said is None:
            said = json.dumps(content.shown_words(matched), ensure_ascii=False)
            self._said_cache[("words", matched)] = said
        return said

    def _need(self, rows, need):
        """A listed need's own ranking, NEED_KEEP per candidate type: COPY text lines on
        PostgreSQL (the tails are made once per shared ranking), row tuples elsewhere."""
        self._indexes()
        words = content.tokens(f"{need.title} {need.description}")
        ranking = self._need_rows(need.category, need.neighbourhood_id, words)
        head = (self.community.id, need.id, need.category.value, need.neighbourhood_id, self.now)
        if not self.copy_text:
            rows.extend(head + tail for tail in ranking)
            return
        tails = self._tails.get(id(ranking))
        if tails is None:
            tails = self._tails[id(ranking)] = [
                "\t".join(_copy_text(v) for v in tail) + "\n" for tail in ranking
            ]
        prefix = "\t".join(_copy_text(v) for v in head) + "\t"
        rows.extend(prefix + tail for tail in tails)


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
        raise errors.SuggestionReplaced() from None
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
    OrderTaken, UnitHasClaimed, Invalid: as claims.service.order_resource. :raise IllegalTransition.
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


def dismiss_for_need(actor: User, need_id: int, ranking_id: int, *, now: datetime) -> Suggestion:
    """忽略 one of a need's suggestions (a row of its ranking): the candidate is stored as
    dismissed for that need, with the ranking's score, reasons and matched words, and is not
    suggested for it again; other needs still get it.

    :raise NotFound, Forbidden: the need. :raise SuggestionReplaced: the row is no longer in the
    need's ranking (a rerun replaced it, or the need moved on). :raise IllegalTransition:
    already dismissed.
    """
    need = need_queries.get_need(actor, need_id)
    require(permissions.can_act_on_suggestions(actor, need.community))
    queries.lock_community(need.community_id)  # a rerun does not replace it under our feet
    ranking = queries.need_ranking(need, ranking_id)
    if ranking is None or need.status is not NeedStatus.LISTED or need.project_id is not None:
        raise errors.SuggestionReplaced()
    suggestion = queries.stored_suggestion(N, need.id, ranking.candidate_type, ranking.candidate_id)
    if suggestion is None:
        suggestion = Suggestion(
            community_id=need.community_id,
            target_type=N,
            target_id=need.id,
            candidate_type=ranking.candidate_type,
            candidate_id=ranking.candidate_id,
            score=ranking.score,
            rank=ranking.rank,
            reasons=list(ranking.reasons),
            matched=list(ranking.matched or ()),
            status=SuggestionStatus.OPEN,
            computed_at=ranking.computed_at,
        )
        db.session.add(suggestion)
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
