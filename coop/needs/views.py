import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import render
from coop.needs import commitments, permissions, queries, ratings, service, time_limits
from coop.needs.models import NEED_FLOW, Beneficiary, Need, NeedSource, NeedStatus, Urgency
from coop.needs.schemas import (
    NOT_FOR_RESIDENTS,
    CommitmentsIn,
    EditNeedForm,
    HandoverIn,
    NeedArgs,
    NeedFilters,
    NeedPatch,
    RatingIn,
    RecordNeedForm,
    ResolveIn,
)
from coop.pagination import paginate
from coop.privacy import mask_address, mask_phone
from coop.projects import queries as project_queries
from coop.projects.models import Project
from coop.schemas import ReasonIn, load_form
from coop.uow import unit_of_work

bp = Blueprint("needs", __name__)

FILTERS = tuple(NeedFilters().fields)
# What the secretary does from the detail page; compile/release happen through projects.
PAGE_ACTIONS = ("list", "reject", "resolve", "close")
# The steps a resident's need walks through, as she reads them on her phone.
PROGRESS = (NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.IN_PROJECT, NeedStatus.RESOLVED)


def _options(enum_cls, skip=()) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum_cls if member not in skip]


def _status_counts(query: sa.Select) -> dict:
    """How many of the query's needs are in each state (for the counts above the list)."""
    rows = query.order_by(None).subquery()
    return dict(
        db.session.execute(sa.select(rows.c.status, sa.func.count()).group_by(rows.c.status)).all()
    )


def _filter_args(args: dict) -> dict:
    """The current filters as URL parameters, for the pager and the export link."""
    return {
        name: (value.value if hasattr(value, "value") else value)
        for name, value in args.items()
        if name in FILTERS and value not in (None, "")
    }


def _form_context(community) -> dict:
    return {
        "community": community,
        "category_options": _options(Category),
        "source_options": _options(NeedSource, skip=(NeedSource.RESIDENT,)),
        "beneficiary_options": _options(Beneficiary),
        "urgency_options": _options(Urgency),
        "neighbourhood_options": [(n.id, n.name) for n in community.neighbourhoods],
    }


@bp.get("/communities/<int:community_id>/needs")
@login_required
def index(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_see_all_needs(actor, community))
    args, errors = load_form(NeedArgs(exclude=("community_id", "mine")), request.args)
    if errors:
        raise Invalid(errors=errors)
    filters = {name: args.get(name) for name in FILTERS}
    excel = {
        endpoint: endpoint in current_app.view_functions
        for endpoint in ("needs_excel.import_form", "needs_excel.export")
    }
    now = utcnow()
    # 服务承诺: overdue needs first, then the newest; each row's owner loaded with the page.
    query = (
        queries.needs_select(actor, community_id=community.id, **filters)
        .order_by(None)
        .order_by(time_limits.overdue_first(now), Need.created_at.desc(), Need.id.desc())
        .options(selectinload(Need.owner))
    )
    counts = _status_counts(queries.needs_select(actor, community_id=community.id))
    unfiltered = not any(value not in (None, "") for value in filters.values())
    # Unfiltered, the list's total is the sum of the counts by state: not counted twice.
    total = sum(counts.values()) if unfiltered else None
    page = paginate(query, args["page"], args["per_page"], count=total)
    return render(
        "needs/list.html",
        block="need_rows",
        page=page,
        overdue_ids={n.id for n in page["items"] if time_limits.is_overdue(n, now)},
        args=args,
        filter_args=_filter_args(args),
        counts=counts,
        statuses=list(NeedStatus),
        source_filter_options=_options(NeedSource),
        can_manage=permissions.can_manage_needs(actor, community),
        excel=excel,
        **_form_context(community),
    )


@bp.route("/communities/<int:community_id>/needs/new", methods=["GET", "POST"])
@login_required
def new(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    context = _form_context(community)
    if request.method == "GET":
        return render("needs/form.html", form={}, errors={}, **context)
    retry_form("needs/form.html", **context)
    data, errors = load_form(RecordNeedForm(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        need = service.record_need(actor, community.id, **data)
        flash(_("已将“%(title)s”列入需求清单。", title=need.title), "success")
        return redirect(url_for("needs.detail", need_id=need.id))

    return submit_once(actor, create)


def _detail_context(actor, need) -> dict:
    can_manage = permissions.can_manage_needs(actor, need.community)
    project = None
    if need.project_id is not None:
        # Not get_project: a resident may see her need in a draft she may not see; show no link.
        project = db.session.scalar(
            project_queries.projects_select(actor).where(Project.id == need.project_id)
        )
    return {
        "need": need,
        "project": project,
        "can_manage": can_manage,
        "can_see_all": permissions.can_see_all_needs(actor, need.community),
        "can_reveal": permissions.can_reveal_requester(actor, need),
        "actions": [a for a in NEED_FLOW.allowed(need) if a in PAGE_ACTIONS] if can_manage else [],
        "action_labels": NEED_FLOW.action_labels,
        "is_requester": permissions.is_requester(actor, need),
        "can_edit": permissions.can_edit_need(actor, need),
        "overdue": time_limits.is_overdue(need, utcnow()),
        "answered_at": min(
            (t for t in (need.listed_at, need.rejected_at) if t is not None), default=None
        ),
        "can_hand_over": can_manage and need.status in time_limits.OPEN,
        "staff_options": [
            (user.id, user.display_name)
            for user in service.community_staff(need.community_id)
            if user.id != need.owner_id
        ]
        if can_manage
        else [],
        **_rating_context(actor, need),
    }


def _rating_context(actor, need) -> dict:
    """The rating form (hers, or 代评 for staff), the ratings so far and an open 回访."""
    sees = permissions.can_see_all_needs(actor, need.community) or permissions.is_requester(
        actor, need
    )
    return {
        "may_rate": ratings.may_rate(actor, need),
        "rate_on_behalf": permissions.can_rate_on_behalf(actor, need),
        "ratings": list(need.ratings) if sees else [],
        "callback": ratings.open_callback(need) if sees else None,
        "star_label": ratings.star_label,
    }


@bp.get("/needs/<int:need_id>")
@login_required
def detail(need_id: int):
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    return render("needs/detail.html", form={}, errors={}, **_detail_context(actor, need))


# Shown whole only through 查看完整联系方式, with a logged reason: the edit form leaves them
# blank (their masked value beside them), and a blank one keeps what is stored.
UNSHOWN = ("requester_phone", "requester_address")


def _current_values(need) -> dict:
    """The need as its edit form shows it: each field's value as the form would send it."""
    form = {}
    for name in permissions.NEED_FIELDS - set(UNSHOWN):
        value = getattr(need, name)
        form[name] = "" if value is None else str(getattr(value, "value", value))
    form["version"] = str(need.version)
    return form


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id: int):
    """编辑: the fields the need's state lets her change, filled in; saved only if nobody saved
    it since she opened the page (the version rides along as a hidden field)."""
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    editable = service.editable_fields(actor, need)
    context = {
        "need": need,
        "editable": editable,
        "masked": {
            "requester_phone": mask_phone(need.requester_phone),
            "requester_address": mask_address(need.requester_address),
        },
        **_form_context(need.community),
    }
    if request.method == "GET":
        return render("needs/edit.html", form=_current_values(need), errors={}, **context)
    retry_form("needs/edit.html", **context)
    data, errors = load_form(EditNeedForm(only=(*editable, "version")), request.form)
    if errors:
        raise Invalid(errors=errors)
    for name in UNSHOWN:
        if not request.form.get(name, "").strip():
            data.pop(name, None)
    with unit_of_work(actor):
        service.edit_need(actor, need.id, **data)
    flash(_("已保存修改。"), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.post("/needs/<int:need_id>/<any(list, resolve, close):action>")
@login_required
def move(need_id: int, action: str):
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    retry_form("needs/detail.html", **_detail_context(actor, need))
    with unit_of_work(actor):
        if action == "list":
            service.list_need(actor, need.id)
            message = _("已列入需求清单。")
        elif action == "resolve":
            data, errors = load_form(ResolveIn(), request.form)
            if errors:
                raise Invalid(errors=errors)
            service.resolve_need(actor, need.id, **data)
            message = _("已标记为已解决。")
        else:
            service.close_need(actor, need.id)
            message = _("已关闭。")
    flash(message, "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.post("/needs/<int:need_id>/rating")
@login_required
def rate(need_id: int):
    """Her stars and comment for the resolution (or 代评 by staff); bad input re-renders the page
    with the form and changes nothing."""
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    retry_form("needs/detail.html", **_detail_context(actor, need))
    data, errors = load_form(RatingIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        rating = ratings.rate(actor, need.id, now=utcnow(), **data)
    if rating.on_behalf:
        flash(_("已代居民评价。"), "success")
    else:
        flash(_("感谢您的评价！"), "success")
    return redirect(url_for("needs.detail", need_id=need.id) + "#rating")


@bp.post("/needs/<int:need_id>/handover")
@login_required
def hand_over(need_id: int):
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    retry_form("needs/detail.html", **_detail_context(actor, need))
    data, errors = load_form(HandoverIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        handover = service.hand_over_need(actor, need.id, **data)
        name = handover.to_user.display_name
    flash(_("已移交给 %(name)s 负责。", name=name), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/communities/<int:community_id>/commitments", methods=["GET", "POST"])
@login_required
def commitments_page(community_id: int):
    """服务承诺: the secretary's table, category × urgency, hours to answer and days to solve."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    cells = commitments.commitments_of(community.id)
    context = {
        "community": community,
        "categories": list(Category),
        "urgencies": commitments.URGENCIES,
        "can_manage": permissions.can_manage_needs(actor, community),
    }
    if request.method == "GET":
        form = {}
        for cell in cells:
            key = commitments.cell_key(cell["category"], cell["urgency"])
            form[f"{key}.respond_hours"] = str(cell["respond_hours"])
            form[f"{key}.resolve_days"] = str(cell["resolve_days"])
        return render("needs/commitments.html", form=form, errors={}, **context)
    require(context["can_manage"])
    retry_form("needs/commitments.html", **context)
    items = [
        {
            "category": category.value,
            "urgency": urgency.value,
            "respond_hours": request.form.get(f"{key}.respond_hours", ""),
            "resolve_days": request.form.get(f"{key}.resolve_days", ""),
        }
        for category in Category
        for urgency in commitments.URGENCIES
        for key in (commitments.cell_key(category, urgency),)
    ]
    for item in items:  # a blank box is a missing number, not an empty string
        for name in ("respond_hours", "resolve_days"):
            if not item[name].strip():
                del item[name]
    errors = CommitmentsIn().validate({"items": items})
    if errors:
        cell_errors = {}
        for index, fields in errors.get("items", {}).items():
            key = commitments.cell_key(items[index]["category"], items[index]["urgency"])
            for name, messages in fields.items():
                cell_errors[f"{key}.{name}"] = messages
        raise Invalid(errors=cell_errors)
    with unit_of_work(actor):
        commitments.set_commitments(
            actor, community.id, CommitmentsIn().load({"items": items})["items"]
        )
    flash(_("已保存服务承诺，此后登记的需求按新的时限计算。"), "success")
    return redirect(url_for("needs.commitments_page", community_id=community.id))


@bp.route("/needs/<int:need_id>/reject", methods=["GET", "POST"])
@login_required
def reject(need_id: int):
    """不予受理 asks for the reason first: the resident reads it on her phone."""
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    require(permissions.can_manage_needs(actor, need.community))
    context = {"need": need}
    if request.method == "GET":
        return render("needs/reject.html", form={}, errors={}, **context)
    retry_form("needs/reject.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.reject_need(actor, need.id, reason=data["reason"])
    flash(_("已不予受理，居民会看到原因。"), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/needs/<int:need_id>/reveal", methods=["GET", "POST"])
@login_required
def reveal(need_id: int):
    """The full phone and address are shown once, after a reason is logged; never in a URL."""
    actor = require_actor()
    need = queries.get_need(actor, need_id)
    require(permissions.can_reveal_requester(actor, need))
    context = {"need": need, "revealed": None}
    if request.method == "GET":
        return render("needs/reveal.html", form={}, errors={}, **context)
    retry_form("needs/reveal.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        revealed = service.reveal_requester(actor, need.id, reason=data["reason"])
    response = current_app.make_response(
        render("needs/reveal.html", form={}, errors={}, **{**context, "revealed": revealed})
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/communities/<int:community_id>/needs/submit", methods=["GET", "POST"])
@login_required
def submit(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_submit_need(actor, community))
    resident = getattr(actor, "resident", None)
    neighbourhood = resident.neighbourhood_id if resident else None
    context = _form_context(community)
    if request.method == "GET":
        form = {"urgency": Urgency.NORMAL.value}
        if neighbourhood:
            form["neighbourhood_id"] = str(neighbourhood)
        return render("needs/submit.html", form=form, errors={}, **context)
    retry_form("needs/submit.html", **context)
    # Her phone form does not ask whom the need serves: submit_need files it under 全体居民.
    form_schema = NeedPatch(exclude=(*NOT_FOR_RESIDENTS, "beneficiary_group"))
    data, errors = load_form(form_schema, request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        service.submit_need(actor, community.id, **data)
        flash(_("已提交，社区工作人员审核后会在这里告诉您进展。"), "success")
        return redirect(url_for("needs.mine"))

    return submit_once(actor, create)


@bp.get("/my/needs")
@login_required
def mine():
    actor = require_actor()
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    submit_to = [
        c for c in alliance_queries.communities_for(actor) if permissions.can_submit_need(actor, c)
    ]
    return render(
        "needs/mine.html",
        page=paginate(queries.needs_select(actor, mine=True), args["page"], args["per_page"]),
        progress=PROGRESS,
        submit_to=submit_to,
    )
