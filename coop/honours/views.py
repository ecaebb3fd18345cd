"""Pages: a community's nominations and honours, the nomination form with the computed records,
one nomination with the street's decision, the 先锋指数 and its weights."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.models import HonourKind, HonourStatus
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.claims import permissions as claim_permissions
from coop.claims import queries as claim_queries
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.honours import index, permissions, queries, service
from coop.honours import teams as teams_service
from coop.honours.schemas import HonourReasonIn, NominationIn, TeamEditIn, TeamIn, WeightsIn
from coop.htmx import render
from coop.pagination import paginate
from coop.schemas import load_form
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("honours", __name__)


def _year_arg(default: int) -> int:
    try:
        year = int(request.args.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


@bp.get("/communities/<int:community_id>/nominations")
@login_required
def nominations(community_id: int):
    """The community's nominations and honours of a year, with what each waits for."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    year = _year_arg(local_today().year)
    status = request.args.get("status") or None
    if status not in {s.value for s in HonourStatus}:
        status = None
    paging, _errors = load_form(PageArgs(), request.args)
    page = paginate(
        queries.honours_select(
            community.id, year=year, status=HonourStatus(status) if status else None
        ),
        paging.get("page", 1),
        paging.get("per_page", 50),
    )
    names = queries.holder_names(page["items"])
    return render(
        "honours/list.html",
        community=community,
        page=page,
        year=year,
        status=status,
        statuses=list(HonourStatus),
        holder_name=lambda honour: names[honour.id],
        can_nominate=permissions.can_nominate(actor, community),
    )


def _form_context(actor, community, year: int) -> dict:
    now = utcnow()
    units = index.unit_records(community.id, year, now)
    teams = index.team_records(community.id, year)
    return {
        "community": community,
        "year": year,
        "years": [local_today().year, local_today().year - 1],
        "units": units,
        "teams": teams,
        "unit_options": [
            (r.unit_id, _("%(name)s · 先锋指数 %(index)s", name=r.name, index=r.index))
            for r in units
        ],
        "team_options": [
            (t.team_id, _("%(name)s · %(hours)s 小时", name=t.name, hours=t.hours)) for t in teams
        ],
        "weights": index.weights_for(community.id),
        "part_label": index.part_label,
        "parts": index.PARTS,
    }


@bp.get("/communities/<int:community_id>/nominations/new")
@login_required
def new_nomination(community_id: int):
    """The form: each member unit's computed record and 先锋指数, each team's hours; the
    secretary picks and writes the citation. The index informs; she decides."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_nominate(actor, community))
    year = _year_arg(local_today().year)
    if year not in (local_today().year, local_today().year - 1):
        year = local_today().year
    form = {"year": str(year), "kind": request.args.get("kind", "pioneer")}
    return render("honours/new.html", form=form, errors={}, **_form_context(actor, community, year))


@bp.post("/communities/<int:community_id>/nominations")
@login_required
def nominate(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_nominate(actor, community))
    year = _year_arg(local_today().year)
    retry_form("honours/new.html", **_form_context(actor, community, year))
    form = request.form.to_dict()
    form["community_id"] = str(community.id)
    kind = form.get("kind")
    form["holder_id"] = form.get("unit_id" if kind == "pioneer" else "team_id", "")
    data, errors = load_form(NominationIn(), form)
    if errors:
        if "holder_id" in errors:
            errors["unit_id" if kind == "pioneer" else "team_id"] = errors.pop("holder_id")
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        honour = service.nominate(actor, data.pop("community_id"), **data, now=utcnow())
        flash(
            _(
                "已提名%(name)s为%(year)d 年度%(title)s，待街道审批。",
                name=service.holder_name(honour),
                year=honour.year,
                title=honour.title,
            ),
            "success",
        )
        honour_id = honour.id
    return redirect(url_for("honours.honour", honour_id=honour_id))


def _honour_context(actor, honour) -> dict:
    can_decide = permissions.can_decide(actor, honour.community)
    return {
        "honour": honour,
        "name": service.holder_name(honour),
        "record": honour.record or {},
        "part_label": index.part_label,
        "parts": index.PARTS,
        "can_decide": can_decide and honour.nominated_by_id != actor.id,
        "own": honour.nominated_by_id == actor.id,
        "can_nominate": permissions.can_nominate(actor, honour.community),
    }


@bp.get("/honours/<int:honour_id>")
@login_required
def honour(honour_id: int):
    actor = require_actor()
    honour = queries.get_honour(actor, honour_id)
    return render("honours/detail.html", form={}, errors={}, **_honour_context(actor, honour))


@bp.post("/honours/<int:honour_id>/approve")
@login_required
def approve(honour_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        honour = service.approve(actor, honour_id, now=utcnow())
        message = _(
            "已授予%(name)s%(year)d 年度%(title)s。",
            name=service.holder_name(honour),
            year=honour.year,
            title=honour.title,
        )
    flash(message, "success")
    return redirect(url_for("honours.honour", honour_id=honour_id))


def _with_reason(honour_id: int, action, done: str):
    actor = require_actor()
    honour = queries.get_honour(actor, honour_id)
    retry_form("honours/detail.html", **_honour_context(actor, honour))
    data, errors = load_form(HonourReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        action(actor, honour_id, reason=data["reason"], now=utcnow())
    flash(done, "success")
    return redirect(url_for("honours.honour", honour_id=honour_id))


@bp.post("/honours/<int:honour_id>/return")
@login_required
def send_back(honour_id: int):
    return _with_reason(honour_id, service.send_back, _("已退回社区，并告知了理由。"))


@bp.post("/honours/<int:honour_id>/revoke")
@login_required
def revoke(honour_id: int):
    return _with_reason(honour_id, service.revoke, _("荣誉已撤销，记录和理由保留。"))


def _index_context(actor, community, year: int) -> dict:
    return {
        "community": community,
        "year": year,
        "units": index.unit_records(community.id, year, utcnow()),
        "weights": index.weights_for(community.id),
        "parts": index.PARTS,
        "part_label": index.part_label,
        "can_edit": permissions.can_nominate(actor, community),
    }


@bp.get("/communities/<int:community_id>/pioneer-index")
@login_required
def pioneer_index(community_id: int):
    """Every member unit's 先锋指数 of the year, ranked, each part with its weight."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    year = _year_arg(local_today().year)
    context = _index_context(actor, community, year)
    form = {k: str(v) for k, v in context["weights"].items()}
    return render("honours/index.html", form=form, errors={}, **context)


@bp.post("/communities/<int:community_id>/pioneer-weights")
@login_required
def set_weights(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_nominate(actor, community))
    retry_form("honours/index.html", **_index_context(actor, community, local_today().year))
    data, errors = load_form(WeightsIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.set_weights(actor, community.id, data, now=utcnow())
    flash(_("先锋指数权重已保存。"), "success")
    return redirect(url_for("honours.pioneer_index", community_id=community.id))


HONOUR_KINDS = list(HonourKind)
TEAM_CLAIMS_PAGE = 20  # the team's claims of routine projects, newest first


@bp.get("/communities/<int:community_id>/teams")
@login_required
def teams(community_id: int):
    """The community's volunteer teams with their leader, members and hours this year."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    year = local_today().year
    return render(
        "honours/teams.html", form={}, errors={}, **_teams_context(actor, community, year)
    )


def _teams_context(actor, community, year: int) -> dict:
    return {
        "community": community,
        "year": year,
        "records": index.team_records(community.id, year),
        "teams": {t.id: t for t in queries.teams_of(community.id)},
        "can_create": permissions.can_nominate(actor, community),
        "unit_options": [
            (u.id, u.name)
            for u in db.session.scalars(
                alliance_queries.units_select(actor, community_id=community.id)
            )
        ]
        if permissions.can_nominate(actor, community)
        else [],
    }


@bp.post("/communities/<int:community_id>/teams")
@login_required
def create_team(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    retry_form("honours/teams.html", **_teams_context(actor, community, local_today().year))
    form = request.form.to_dict()
    form["community_id"] = str(community.id)
    data, errors = load_form(TeamIn(), form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        team = teams_service.create_team(actor, data.pop("community_id"), **data)
        team_id = team.id
    flash(_("志愿服务队已创建。"), "success")
    return redirect(url_for("honours.team", team_id=team_id))


def _unit_options(actor, community_id: int) -> list[tuple[int, str]]:
    return [
        (u.id, u.name)
        for u in db.session.scalars(alliance_queries.units_select(actor, community_id=community_id))
    ]


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@login_required
def edit_team(team_id: int):
    """Staff or the leader correct the team's name, unit, skills and description."""
    actor = require_actor()
    team = queries.get_team(actor, team_id)
    permissions.require(teams_service.can_manage_team(actor, team))
    context = {"team": team, "unit_options": _unit_options(actor, team.community_id)}
    if request.method == "GET":
        form = {
            "name": team.name,
            "unit_id": str(team.unit_id or ""),
            "skills": team.skills,
            "description": team.description,
        }
        return render("honours/team_edit.html", form=form, errors={}, **context)
    retry_form("honours/team_edit.html", **context)
    data, errors = load_form(TeamEditIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        teams_service.edit_team(actor, team.id, **data)
    flash(_("服务队信息已保存。"), "success")
    return redirect(url_for("honours.team", team_id=team_id))


@bp.post("/teams/<int:team_id>/join")
@login_required
def join_team(team_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        teams_service.add_member(actor, team_id, actor.id, today=local_today())
    flash(_("已加入服务队。"), "success")
    return redirect(url_for("honours.team", team_id=team_id))


@bp.post("/teams/<int:team_id>/members/<int:user_id>/leave")
@login_required
def leave_team(team_id: int, user_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        teams_service.leave(actor, team_id, user_id, today=local_today())
    flash(_("已退出服务队，在队期间的服务时长仍计入该队。"), "success")
    return redirect(url_for("honours.team", team_id=team_id))


@bp.get("/teams/<int:team_id>")
@login_required
def team(team_id: int):
    """A team: its leader and members (past members with their dates), skills, the unit or
    community it belongs to, its verified hours while members, and its approved honours."""
    actor = require_actor()
    team = queries.get_team(actor, team_id)
    current = [m for m in team.members if m.left_on is None]
    member_ids = {m.user_id for m in current}
    paging, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    claims = paginate(
        claim_queries.claims_select(actor, team_id=team.id), paging["page"], TEAM_CLAIMS_PAGE
    )
    return render(
        "honours/team.html",
        team=team,
        can_manage=teams_service.can_manage_team(actor, team),
        can_join=actor.id not in member_ids and teams_service.is_volunteer(actor.id, team),
        me=actor.id,
        leaders=[m for m in current if m.is_leader],
        current=current,
        past=[m for m in team.members if m.left_on is not None],
        hours=index.team_hours(team.id),
        honours=queries.approved_of(team_id=team.id),
        claims=claims,
        can_claim=claim_permissions.can_claim_for_team(actor, team),
    )


@bp.get("/streets/<int:street_id>/nominations")
@login_required
def street_queue(street_id: int):
    """The street admin's queue: nominations of her street's communities waiting for approval."""
    actor = require_actor()
    permissions.require(permissions.can_decide_for_street(actor, street_id))
    paging, _errors = load_form(PageArgs(), request.args)
    page = paginate(
        queries.waiting_for_street(street_id), paging.get("page", 1), paging.get("per_page", 50)
    )
    return render(
        "honours/street.html", street_id=street_id, page=page, holder_name=service.holder_name
    )
