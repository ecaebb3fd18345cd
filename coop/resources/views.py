from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop import xlsx
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import liaison_unit_ids, require
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.pagination import paginate
from coop.resources import permissions, queries, service
from coop.resources.models import RESOURCE_FLOW, ResourceKind, ResourceStatus
from coop.resources.schemas import ResourceArgs, ResourceEdit, ResourceIn
from coop.schemas import ReasonIn, load_form
from coop.uow import unit_of_work

bp = Blueprint("resources", __name__)


def _own_units(actor, community) -> list:
    """The actor's units that serve this community: what she may offer for as a liaison."""
    own = liaison_unit_ids(actor)
    return [
        m.unit
        for m in alliance_queries.memberships_for_units(own)
        if m.community_id == community.id
    ]


def _offer_units(actor, community) -> list:
    """Units the actor may offer for here: her own, or (for the secretary) any alliance unit.

    :raise Forbidden: she is neither a liaison of a unit serving the community nor its secretary.
    """
    if permissions.can_review_resources(actor, community):
        query = alliance_queries.units_select(actor, community_id=community.id)
        return paginate(query, 1, 200)["items"]
    own = _own_units(actor, community)
    require(bool(own))
    return own


def _listed(actor, community) -> tuple:
    """The listed resources under the page's filters; the page and its export share it."""
    args, errors = load_form(ResourceArgs(only=("page", "per_page", "kind")), request.args)
    if errors:
        raise Invalid(errors=errors)
    query = queries.resources_select(
        actor, community_id=community.id, status=ResourceStatus.LISTED, kind=args.get("kind")
    )
    return query, args


EXPORT_HEADERS = (
    ("资源名称", 28),
    ("类型", 10),
    ("提供单位", 24),
    ("数量", 8),
    ("单位", 8),
    ("可用开始", 12),
    ("可用结束", 12),
    ("说明", 36),
)


@bp.get("/communities/<int:community_id>/resources/export.xlsx")
@login_required
def export(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    query, _args = _listed(actor, community)
    rows = (
        [
            r.title,
            r.kind.label,
            r.unit.name,
            r.quantity,
            r.unit_of_measure,
            r.available_from,
            r.available_until,
            r.description,
        ]
        for r in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "资源清单", EXPORT_HEADERS, rows, place=community.name, slug="resources"
    )


@bp.get("/communities/<int:community_id>/resources")
@login_required
def index(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    listed, args = _listed(actor, community)
    can_review = permissions.can_review_resources(actor, community)
    own_units = _own_units(actor, community)
    pending = (
        paginate(
            queries.resources_select(
                actor, community_id=community.id, status=ResourceStatus.OFFERED
            ),
            1,
            200,
        )["items"]
        if can_review
        else []
    )
    own_offers = [
        (unit, queries.resources_select(actor, community_id=community.id, unit_id=unit.id))
        for unit in own_units
    ]
    own_offers = [(unit, paginate(query, 1, 200)["items"]) for unit, query in own_offers]
    return render(
        "resources/list.html",
        block="resource_rows",
        community=community,
        page=paginate(
            listed,
            args["page"],
            args["per_page"],
        ),
        args=args,
        kinds=list(ResourceKind),
        can_review=can_review,
        can_offer=can_review or bool(own_units),
        pending=pending,
        own_offers=own_offers,
        flow=RESOURCE_FLOW,
        editable=service.EDITABLE,
    )


def _form_context(actor, community, resource=None) -> dict:
    return {
        "community": community,
        "resource": resource,
        "unit_options": [(u.id, u.name) for u in _offer_units(actor, community)],
        "kind_options": [(k.value, k.label) for k in ResourceKind],
        "category_options": [(c.value, c.label) for c in Category],
        "neighbourhood_options": [(n.id, n.name) for n in community.neighbourhoods],
    }


@bp.route("/communities/<int:community_id>/resources/new", methods=["GET", "POST"])
@login_required
def new(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    context = _form_context(actor, community)
    units = context["unit_options"]
    if request.method == "GET":
        form = {"unit_id": str(units[0][0])} if len(units) == 1 else {}
        return render("resources/form.html", form=form, errors={}, **context)
    retry_form("resources/form.html", **context)
    data, errors = load_form(ResourceIn(exclude=("community_id",)), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        resource = service.offer_resource(actor, community.id, data.pop("unit_id"), **data)
        flash(_("已申报“%(title)s”，等待社区审核后列入清单。", title=resource.title), "success")
        return redirect(url_for("resources.index", community_id=community.id))

    return submit_once(actor, create)


def _resource_form(resource) -> dict:
    return {
        "version": str(resource.version),
        "unit_id": str(resource.unit_id),
        "kind": resource.kind.value,
        "title": resource.title,
        "description": resource.description,
        "category": resource.category.value if resource.category else "",
        "quantity": f"{resource.quantity:f}",
        "unit_of_measure": resource.unit_of_measure,
        "available_from": resource.available_from.isoformat() if resource.available_from else "",
        "available_until": (
            resource.available_until.isoformat() if resource.available_until else ""
        ),
        "neighbourhood_ids": [str(n.id) for n in resource.neighbourhoods],
    }


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit(resource_id: int):
    actor = require_actor()
    resource = queries.get_resource(actor, resource_id)
    require(permissions.can_offer_for(actor, resource.unit_id, resource.community))
    service.check_editable(resource)
    context = _form_context(actor, resource.community, resource)
    if request.method == "GET":
        return render("resources/form.html", form=_resource_form(resource), errors={}, **context)
    retry_form("resources/form.html", **context)
    data, errors = load_form(ResourceEdit(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.edit_resource(actor, resource.id, **data)
    flash(_("已保存“%(title)s”。", title=data["title"]), "success")
    return redirect(url_for("resources.index", community_id=resource.community_id))


@bp.post("/resources/<int:resource_id>/<any(list, reoffer):action>")
@login_required
def move(resource_id: int, action: str):
    actor = require_actor()
    with unit_of_work(actor):
        if action == "list":
            resource = service.list_resource(actor, resource_id)
            message = _("“%(title)s”已列入联盟资源清单。", title=resource.title)
        else:
            resource = service.reoffer_resource(actor, resource_id)
            message = _("已重新提交“%(title)s”，等待社区审核。", title=resource.title)
    flash(message, "success")
    return redirect(url_for("resources.index", community_id=resource.community_id))


@bp.route("/resources/<int:resource_id>/send-back", methods=["GET", "POST"])
@login_required
def send_back(resource_id: int):
    """退回 asks what the unit should change."""
    actor = require_actor()
    resource = queries.get_resource(actor, resource_id)
    require(permissions.can_review_resources(actor, resource.community))
    context = {"resource": resource, "action": "send_back"}
    if request.method == "GET":
        return render("resources/confirm.html", form={}, errors={}, **context)
    retry_form("resources/confirm.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.send_back_resource(actor, resource.id, reason=data["reason"])
    flash(_("已退回，单位会看到原因。"), "success")
    return redirect(url_for("resources.index", community_id=resource.community_id))


@bp.route("/resources/<int:resource_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(resource_id: int):
    actor = require_actor()
    resource = queries.get_resource(actor, resource_id)
    require(permissions.can_offer_for(actor, resource.unit_id, resource.community))
    context = {"resource": resource, "action": "withdraw"}
    if request.method == "GET":
        return render("resources/confirm.html", form={}, errors={}, **context)
    retry_form("resources/confirm.html", **context)
    with unit_of_work(actor):
        service.withdraw_resource(actor, resource.id)
    flash(_("已撤回“%(title)s”。", title=resource.title), "success")
    return redirect(url_for("resources.index", community_id=resource.community_id))
