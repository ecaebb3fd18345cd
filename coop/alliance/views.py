import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop import charts, stats, stats_monthly, xlsx
from coop.alliance import permissions, queries, service
from coop.alliance.models import Community, Street, UnitKind
from coop.alliance.schemas import (
    AgreementEdit,
    AgreementEndIn,
    AgreementIn,
    ComparisonArgs,
    UnitArgs,
    UnitEdit,
    UnitIn,
)
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.honours import queries as honours_queries
from coop.htmx import render
from coop.needs import permissions as needs_permissions
from coop.needs import rates
from coop.notices import inbox
from coop.pagination import paginate
from coop.privacy import mask_phone
from coop.schemas import load_form
from coop.setup import permissions as setup_permissions
from coop.timeutil import COMMUNITY_TZ, local_today
from coop.uow import unit_of_work

bp = Blueprint("alliance", __name__)


@bp.get("/communities")
@login_required
def communities():
    today = local_today()
    actor = require_actor()
    communities = queries.communities_for(actor)
    ids = [c.id for c in communities]
    counts = queries.street_list_counts(ids, today)
    now = utcnow()
    month = now.astimezone(COMMUNITY_TZ).date()
    rates_now = rates.month_rates_by_community(ids, month, now)
    rows = [(c, {**counts[c.id], **rates_now[c.id]}) for c in communities]
    can_set_up = bool(setup_permissions.administered_street_ids(actor))
    return render(
        "alliance/communities.html",
        rows=rows,
        can_set_up=can_set_up,
        notices_summary=inbox.summary(actor.id),
    )


def _trend(title, periods, series, links=None, *, grouped=False):
    """One chart and the table behind it: rows are months, columns the series."""
    labels = [_("%(month)d月", month=p.first.month) for p in periods]
    return {
        "title": title,
        "svg": charts.bar_chart(labels, series, title=title, links=links, grouped=grouped),
        "columns": [name for name, _values in series],
        "rows": [
            (
                p.key,
                [
                    (charts.figure_text(values[i]), links[s][i] if links and values[i] else None)
                    for s, (_name, values) in enumerate(series)
                ],
            )
            for i, p in enumerate(periods)
        ],
    }


def _trends(community, now, *, links: bool, staff_links: bool) -> list[dict]:
    """The community page's charts over the last 12 months, each figure linked to its list
    for those who may read the list: ``links`` for the needs, activities and units, which the
    street reads too; ``staff_links`` for the hours and points ledgers, the community staff's."""
    periods = stats_monthly.last_months(now)
    found = stats_monthly.figures([community.id], periods, now)
    months = range(len(periods))

    def values(name, category=None):
        key = (lambda i: (community.id, i, category)) if category else (lambda i: (community.id, i))
        return [found[name].get(key(i), 0) for i in months]

    # Each list's address is built once and the month's key appended (a 'YYYY-MM' needs no
    # quoting): url_for per figure was some 300 calls a view.
    def need_links(filter_name):
        return [
            [
                f"{base}&{filter_name}={p.key}"
                for base in [
                    url_for("needs.index", community_id=community.id, category=category.value)
                ]
                for p in periods
            ]
            for category in Category
        ]

    def list_links(endpoint, count=1):
        return [[url_for(endpoint, community_id=community.id)] * len(periods)] * count

    def month_links(endpoint, anchor=""):
        """Each month's figure opens its list filtered to that month."""
        base = url_for(endpoint, community_id=community.id)
        return [[f"{base}?month={p.key}{anchor}" for p in periods]]

    trends = []
    for name, title, filter_name in (
        ("needs_in", _("每月新登记需求（按类别）"), "created_in"),
        ("needs_solved", _("每月办结需求（按类别）"), "resolved_in"),
    ):
        series = [(category.label, values(name, category)) for category in Category]
        trends.append(_trend(title, periods, series, need_links(filter_name) if links else None))
    trends.append(
        _trend(
            _("每月开展活动场次"),
            periods,
            [(_("活动场次"), values("activities_held"))],
            month_links("activities.index") if links else None,
        )
    )
    trends.append(
        _trend(
            _("每月核实服务时长（小时）"),
            periods,
            [(_("已核实时长"), values("verified_hours"))],
            month_links("hours.queue", "#verified") if staff_links else None,
        )
    )
    trends.append(
        _trend(
            _("每月参与单位数"),
            periods,
            [(_("参与单位"), values("units_taking_part"))],
            list_links("alliance.units") if links else None,
        )
    )
    trends.append(
        _trend(
            _("每月积分发放与兑换"),
            periods,
            [(_("发放积分"), values("points_issued")), (_("兑换积分"), values("points_spent"))],
            month_links("ledger.community_points") * 2 if staff_links else None,
            grouped=True,
        )
    )
    return trends


# The dashboard lists this many of the alliance's units; the units page lists, filters and
# searches them all.
DASHBOARD_UNITS = 50


@bp.get("/communities/<int:community_id>")
@login_required
def community(community_id: int):
    actor = require_actor()
    community = queries.get_community(actor, community_id)
    can_manage = permissions.can_manage_community(actor, community)
    today = local_today()
    alliance = queries.alliance_for_dashboard(community.id)
    term, deputy = queries.current_term_and_deputy(alliance, today) if alliance else (None, None)
    units = queries.community_units(community.id, limit=DASHBOARD_UNITS)
    live_unit_ids = queries.live_agreement_unit_ids(community.id, today)
    now = utcnow()
    rates_by_month = rates.recent_months(community.id, now)
    figures = {
        **stats.dashboard_figures(community, today, now),
        "neighbourhoods": len(community.neighbourhoods),
        "mechanisms": len(alliance.mechanisms) if alliance else 0,
        "units_with_live_agreement": len(live_unit_ids),
    }
    return render(
        "alliance/community.html",
        community=community,
        alliance=alliance,
        term=term,
        deputy=deputy,
        units=units,
        live_unit_ids=live_unit_ids,
        stats=figures,
        current_rates=rates_by_month[0],
        rates_by_month=rates_by_month,
        trends=_trends(
            community,
            now,
            links=needs_permissions.can_see_all_needs(actor, community),
            staff_links=can_manage,
        ),
        can_manage=can_manage,
        can_view_people=permissions.can_view_people(actor, community),
        notices_summary=inbox.summary(actor.id),
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
    is_own_unit = unit.id in permissions.liaison_unit_ids(actor)
    return render(
        "alliance/unit.html",
        unit=unit,
        today=today,
        served=served,
        is_own_unit=is_own_unit,
        can_edit=permissions.can_edit_unit(actor, unit),
        honours=honours_queries.approved_of(unit_id=unit.id),
        notices_summary=inbox.summary(actor.id) if is_own_unit else None,
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


def _comparison_columns() -> list[tuple[str, str]]:
    return [
        ("needs_in", _("新登记需求")),
        ("needs_solved", _("办结需求")),
        ("activities_held", _("开展活动")),
        ("verified_hours", _("核实时长（小时）")),
        ("units_taking_part", _("参与单位")),
        ("points_issued", _("发放积分")),
        ("points_spent", _("兑换积分")),
    ]


def _comparison(street_id: int):
    """The street, its communities' rows for the period asked, sorted as asked, and the args.

    :raise NotFound: not a street the actor administers.
    :raise Invalid: a period or sort that is not one, or a period still to come.
    """
    actor = require_actor()
    street = db.session.get(Street, street_id)
    if street is None or not permissions.can_compare_communities(actor, street_id):
        raise NotFound()
    args, errors = load_form(ComparisonArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    now = utcnow()
    period = (
        stats_monthly.parse_period(args["period"])
        if args.get("period")
        else stats_monthly.latest_period(now)
    )
    if stats_monthly.is_future(period, now):
        raise Invalid(errors={"period": [_("不能选择尚未开始的期间。")]})
    communities = list(
        db.session.scalars(
            sa.select(Community).where(Community.street_id == street.id).order_by(Community.id)
        )
    )
    rows = stats_monthly.comparison(communities, period, now)
    column = args["sort"].lstrip("-")
    if column == "name":
        rows.sort(key=lambda row: row["community"].name, reverse=args["sort"].startswith("-"))
    else:
        rows.sort(key=lambda row: row["community"].name)
        rows.sort(key=lambda row: row[column], reverse=args["sort"].startswith("-"))
    return street, period, rows, args, now


def _period_options(now) -> list[tuple[str, str]]:
    """The selector: the last 12 months, then this year and the two before."""
    months = stats_monthly.last_months(now)
    this_year = months[-1].first.year
    return [(p.key, p.key) for p in reversed(months)] + [
        (str(y), _("%(year)d 全年", year=y)) for y in range(this_year, this_year - 3, -1)
    ]


@bp.get("/streets/<int:street_id>/comparison")
@login_required
def comparison(street_id: int):
    street, period, rows, args, now = _comparison(street_id)
    columns = _comparison_columns()
    chart_column = args["sort"].lstrip("-")
    if chart_column == "name":
        chart_column = "needs_in"
    chart_title = dict(columns)[chart_column]
    return render(
        "alliance/comparison.html",
        street=street,
        period=period,
        rows=rows,
        columns=columns,
        sort=args["sort"],
        period_options=_period_options(now),
        chart_title=chart_title,
        chart=charts.ranking_chart(
            [row["community"].name for row in rows],
            [row[chart_column] for row in rows],
            title=f"{period.key} {chart_title}",
            links=[url_for("alliance.community", community_id=r["community"].id) for r in rows],
        ),
        figure_text=charts.figure_text,
    )


@bp.get("/streets/<int:street_id>/comparison.xlsx")
@login_required
def comparison_export(street_id: int):
    street, period, rows, _args, _now = _comparison(street_id)
    columns = _comparison_columns()
    data = xlsx.write_table(
        _("社区对比"),
        [(_("社区"), 20), *((label, 14) for _name, label in columns)],
        ([row["community"].name, *(_cell(row[name]) for name, _label in columns)] for row in rows),
    )
    return xlsx.attachment(
        data, f"社区对比-{street.name}-{period.key}.xlsx", f"comparison-{period.key}.xlsx"
    )


def _cell(value):
    """Figures stay numbers in the sheet (hours as a float: openpyxl writes Decimal too, but
    a float is what a spreadsheet sums)."""
    return float(value) if not isinstance(value, int) else value
