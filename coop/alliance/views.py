from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop import stats, xlsx
from coop.alliance import permissions, queries, service
from coop.alliance.models import UnitKind
from coop.alliance.schemas import (
    AgreementEdit,
    AgreementEndIn,
    AgreementIn,
    UnitArgs,
    UnitEdit,
    UnitIn,
)
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.needs import rates
from coop.pagination import paginate
from coop.privacy import mask_phone
from coop.schemas import load_form
from coop.setup import permissions as setup_permissions
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("alliance", __name__)


@bp.get("/communities")
@login_required
def communities():
    today = local_today()
    actor = require_actor()
    rows = [(c, stats.community_stats(c, today)) for c in queries.communities_for(actor)]
    can_set_up = bool(setup_permissions.administered_street_ids(actor))
    return render("alliance/communities.html", rows=rows, can_set_up=can_set_up)


@bp.get("/communities/<int:community_id>")
@login_required
def community(community_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    today = local_today()
    alliance = community.alliance
    term, deputy = queries.current_term_and_deputy(alliance, today) if alliance else (None, None)
    units = paginate(queries.units_select(actor, community_id=community.id), 1, 200)["items"]
    now = utcnow()
    return render(
        "alliance/community.html",
        community=community,
        alliance=alliance,
        term=term,
        deputy=deputy,
        units=units,
        live_unit_ids=queries.live_agreement_unit_ids(community.id, today),
        stats=stats.community_stats(community, today, now),
        rates_by_month=rates.recent_months(community.id, now),
        can_manage=permissions.can_manage_community(actor, community),
        can_view_people=permissions.can_view_people(actor, community),
    )


def _listed_units(actor, community) -> tuple:
    """The unit list's query under the page's filters; the page and its export share it."""
    args, errors = load_form(UnitArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    query = queries.units_select(
        actor, community_id=community.id, kind=args.get("kind"), search=args.get("q")
    )
    return query, args


UNIT_EXPORT_HEADERS = (
    ("单位名称", 28),
    ("类型", 12),
    ("协议", 10),
    ("联系人", 10),
    ("联系电话", 14),
    ("地址", 30),
)


@bp.get("/communities/<int:community_id>/units/export.xlsx")
@login_required
def export_units(community_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    query, _args = _listed_units(actor, community)
    live = queries.live_agreement_unit_ids(community.id, local_today())
    rows = (
        [
            u.name,
            u.kind.label,
            _("有效") if u.id in live else _("无有效协议"),
            u.contact_name,
            mask_phone(u.contact_phone),
            u.address,
        ]
        for u in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "共建单位名单", UNIT_EXPORT_HEADERS, rows, place=community.name, slug="units"
    )


@bp.get("/communities/<int:community_id>/units")
@login_required
def units(community_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    query, args = _listed_units(actor, community)
    return render(
        "alliance/units.html",
        block="unit_rows",
        community=community,
        page=paginate(query, args["page"], args["per_page"]),
        args=args,
        kinds=list(UnitKind),
        live_unit_ids=queries.live_agreement_unit_ids(community.id, local_today()),
        can_manage=permissions.can_manage_community(actor, community),
    )


@bp.route("/communities/<int:community_id>/units/new", methods=["GET", "POST"])
@login_required
def new_unit(community_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    context = {"community": community, "kind_options": [(k.value, k.label) for k in UnitKind]}
    if request.method == "GET":
        return render("alliance/unit_form.html", form={}, errors={}, **context)
    retry_form("alliance/unit_form.html", **context)
    data, errors = load_form(UnitIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        unit = service.add_unit(actor, community.id, **data)
        flash(_("已将“%(name)s”加入联盟，请记录其《共驻共建协议书》。", name=unit.name), "success")
        return redirect(
            url_for("alliance.new_agreement", community_id=community.id, unit_id=unit.id)
        )

    return submit_once(actor, create)


@bp.get("/units/<int:unit_id>")
@login_required
def unit(unit_id: int):
    actor = require_actor()
    unit = queries.get_unit(actor, unit_id)
    visible = permissions.visible_community_ids(actor)
    today = local_today()
    served = []
    for membership in queries.memberships_of(unit.id):
        if membership.community_id in visible:
            agreements = queries.agreements_between(unit.id, membership.community_id)
            served.append(
                (
                    membership,
                    agreements,
                    any(a.is_live(today) for a in agreements),
                    permissions.can_manage_community(actor, membership.community),
                )
            )
    return render(
        "alliance/unit.html",
        unit=unit,
        today=today,
        served=served,
        is_own_unit=unit.id in permissions.liaison_unit_ids(actor),
        can_edit=permissions.can_edit_unit(actor, unit),
    )


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id: int):
    actor = require_actor()
    unit = queries.get_unit(actor, unit_id)
    permissions.require(permissions.can_edit_unit(actor, unit))
    context = {"unit": unit, "kind_options": [(k.value, k.label) for k in UnitKind]}
    if request.method == "GET":
        form = {name: getattr(unit, name) for name in UnitEdit().fields if name != "kind"}
        form.update(kind=unit.kind.value, version=str(unit.version))
        return render("alliance/unit_form.html", form=form, errors={}, **context)
    retry_form("alliance/unit_form.html", **context)
    data, errors = load_form(UnitEdit(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.edit_unit(actor, unit.id, **data)
    flash(_("已保存“%(name)s”的信息。", name=data["name"]), "success")
    return redirect(url_for("alliance.unit", unit_id=unit.id))


@bp.route(
    "/communities/<int:community_id>/units/<int:unit_id>/agreements/new", methods=["GET", "POST"]
)
@login_required
def new_agreement(community_id: int, unit_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    unit = queries.get_unit(actor, unit_id)
    context = {"community": community, "unit": unit, "today": local_today()}
    if request.method == "GET":
        return render("alliance/agreement_form.html", form={}, errors={}, **context)
    retry_form("alliance/agreement_form.html", **context)
    data, errors = load_form(AgreementIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        service.record_agreement(actor, community.id, unit.id, **data)
        flash(_("已记录“%(name)s”的《共驻共建协议书》。", name=unit.name), "success")
        return redirect(url_for("alliance.unit", unit_id=unit.id))

    return submit_once(actor, create)


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@login_required
def edit_agreement(agreement_id: int):
    """The end date only: the rest of a signed agreement is what was signed."""
    actor = require_actor()
    agreement = queries.get_agreement(actor, agreement_id)
    community = queries.get_community(actor, agreement.community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    service.check_end_date_editable(agreement)
    context = {"agreement": agreement, "community": community}
    if request.method == "GET":
        form = {"ends_on": agreement.ends_on.isoformat(), "version": str(agreement.version)}
        return render("alliance/agreement_edit.html", form=form, errors={}, **context)
    retry_form("alliance/agreement_edit.html", **context)
    data, errors = load_form(AgreementEdit(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.edit_agreement(actor, agreement.id, **data)
    flash(_("已修改协议到期日期。"), "success")
    return redirect(url_for("alliance.unit", unit_id=agreement.unit_id))


@bp.route("/agreements/<int:agreement_id>/end", methods=["GET", "POST"])
@login_required
def end_agreement(agreement_id: int):
    """A confirmation page before ending, so the secretary sees what the unit will lose."""
    actor = require_actor()
    agreement = queries.get_agreement(actor, agreement_id)
    community = queries.get_community(actor, agreement.community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    context = {"agreement": agreement, "community": community, "today": local_today()}
    if request.method == "GET":
        return render("alliance/agreement_end.html", form={}, errors={}, **context)
    retry_form("alliance/agreement_end.html", **context)
    data, errors = load_form(AgreementEndIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.end_agreement(actor, agreement.id, **data)
    flash(_("协议已终止。"), "success")
    return redirect(url_for("alliance.unit", unit_id=agreement.unit_id))
