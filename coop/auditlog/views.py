from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from coop import xlsx
from coop.activities import queries as activity_queries
from coop.auditlog import queries
from coop.auditlog.describe import kind_label
from coop.auditlog.schemas import COMMUNITY_KINDS, AuditArgs, AuditFilters
from coop.auth.current import current_actor, login_required, require_actor
from coop.errors import Invalid, NotFound
from coop.htmx import render
from coop.needs import queries as need_queries
from coop.projects import queries as project_queries
from coop.schemas import load_form
from coop.timeutil import local_today

bp = Blueprint("auditlog", __name__)

FILTERS = tuple(AuditFilters().fields)
# The detail pages with a 历史 section: how to load their object for the actor (404 beyond).
HISTORIES = {
    "needs": need_queries.get_need,
    "projects": project_queries.get_project,
    "activities": activity_queries.get_activity,
}
# The export holds at most this many of the newest entries; the page says so when there are more.
EXPORT_LIMIT = 10_000
EXPORT_HEADERS = (
    ("时间", 17),
    ("操作人", 12),
    ("操作", 8),
    ("对象类型", 12),
    ("对象", 28),
    ("修改内容", 60),
)


def _filter_args(args: dict) -> dict:
    """The current filters as URL parameters, for the pager and the export link."""
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in args.items()
        if name in FILTERS and value not in (None, "")
    }


def _context(community) -> dict:
    return {
        "community": community,
        "people_options": queries.people_who_acted(community.id),
        "kind_options": [(kind, kind_label(kind)) for kind in COMMUNITY_KINDS],
        "export_limit": EXPORT_LIMIT,
    }


@bp.get("/communities/<int:community_id>/audit")
@login_required
def page(community_id: int):
    actor = require_actor()
    community = queries.get_audited_community(actor, community_id)
    args, errors = load_form(AuditArgs(), request.args)
    context = {**_context(community), "form": request.args, "errors": errors}
    if errors:
        # The form again with the messages beside their fields; nothing is listed.
        return render(
            "auditlog/page.html", block="audit_rows", page=None, filters={}, **context
        ), 422
    filters = {name: args.get(name) for name in FILTERS}
    found = queries.audit_page(
        community.id, page=args["page"], per_page=args["per_page"], **filters
    )
    return render(
        "auditlog/page.html",
        block="audit_rows",
        page=found,
        filters=_filter_args(args),
        **context,
    )


@bp.get("/communities/<int:community_id>/audit.xlsx")
@login_required
def export(community_id: int):
    actor = require_actor()
    community = queries.get_audited_community(actor, community_id)
    args, errors = load_form(AuditFilters(), request.args)
    if errors:
        raise Invalid(errors=errors)
    entries = queries.audit_entries(community.id, limit=EXPORT_LIMIT, **args)
    data = xlsx.write_table("操作记录", EXPORT_HEADERS, (_export_row(entry) for entry in entries))
    today = local_today().isoformat()
    return xlsx.attachment(data, f"操作记录-{community.name}-{today}.xlsx", f"audit-{today}.xlsx")


def _export_row(entry) -> list:
    lines = [_change_text(change) for change in entry.changes]
    if entry.note:
        lines.append(entry.note)
    return [
        entry.local_at.replace(tzinfo=None),
        entry.actor_name,
        entry.action_label,
        entry.object_kind,
        entry.object_label,
        "\n".join(lines),
    ]


def _change_text(change) -> str:
    if not change.before:
        return f"{change.label}：{change.after}"
    if not change.after:
        return f"{change.label}：{change.before}"
    return f"{change.label}：{change.before} → {change.after}"


@bp.get("/audit/history/<any(needs, projects, activities):kind>/<int:object_id>")
@login_required
def history(kind: str, object_id: int):
    """The 历史 section of a need, project or activity (a whole page when opened directly)."""
    actor = require_actor()
    obj = HISTORIES[kind](actor, object_id)
    found = queries.object_history(actor, kind, obj)
    if found is None:
        raise NotFound()
    return render(
        "auditlog/history.html",
        block="history",
        subject=obj,
        title=_("%(kind)s“%(name)s”的修改历史", kind=kind_label(kind), name=obj.title),
        **found,
    )


@bp.app_template_global()
def audit_history_url(subject) -> str | None:
    """Where the 历史 section of this detail page loads from, or None when the reader may not
    read its community's record (the section is then left out)."""
    kind = getattr(subject, "__tablename__", None)
    if kind not in HISTORIES or not queries.may_read_history(current_actor(), subject):
        return None
    return url_for("auditlog.history", kind=kind, object_id=subject.id)
