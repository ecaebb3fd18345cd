from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.current import login_required, require_actor
from coop.documents.queued import queued_pdf
from coop.errors import Invalid, retry_form
from coop.htmx import render
from coop.printables import ledger, notice, signin
from coop.printables import term_report as term_reports
from coop.printables.errors import LedgerFailed
from coop.printables.models import DONE
from coop.printables.schemas import LedgerIn
from coop.schemas import load_form
from coop.timeutil import local_today, month_start
from coop.uow import unit_of_work

bp = Blueprint("printables", __name__)


def pdf_response(data: bytes, filename: str, *, private: bool = True):
    """A PDF the browser shows (inline), named for saving; never cached by a shared proxy."""
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store" if private else "private, max-age=60",
        },
    )


@bp.get("/activities/<int:activity_id>/sign-in-sheet.pdf")
@login_required
def sign_in_sheet(activity_id: int):
    return pdf_response(signin.sign_in_sheet(require_actor(), activity_id), "签到表.pdf")


def _ledger_context(actor, community) -> dict:
    today = local_today()
    last = month_start(month_start(today) - timedelta(days=1))
    return {
        "community": community,
        "reports": ledger.recent_reports(community.id),
        "default_month": last.strftime("%Y-%m"),
        "max_month": today.strftime("%Y-%m"),
    }


@bp.route("/communities/<int:community_id>/ledger", methods=["GET", "POST"])
@login_required
def ledger_reports(community_id: int):
    """月度台账: staff ask for a month; the queue makes it and its page waits for it."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    context = _ledger_context(actor, community)
    if request.method == "GET":
        return render("printables/ledger_page.html", form={}, errors={}, **context)
    retry_form("printables/ledger_page.html", **context)
    data, errors = load_form(LedgerIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        report = ledger.request_ledger(actor, community.id, data["month"], today=local_today())
    return redirect(url_for("printables.ledger_report", report_id=report.id))


@bp.get("/ledger-reports/<int:report_id>")
@login_required
def ledger_report(report_id: int):
    """The job's card polls itself while the queue works; done, it offers the PDF."""
    report = ledger.get_report(require_actor(), report_id)
    return render("printables/ledger_report.html", block="job", report=report)


@bp.get("/ledger-reports/<int:report_id>.pdf")
@login_required
def ledger_pdf(report_id: int):
    report = ledger.get_report(require_actor(), report_id)
    if report.status != DONE:  # a link kept from before it was ready: its job card says why
        return redirect(url_for("printables.ledger_report", report_id=report.id))
    return ledger_pdf_response(report)


def ledger_pdf_response(report):
    """The 台账 by the queued documents' contract (coop.documents.queued): 200 with the PDF,
    202 ``pdf_not_ready`` while queued or running, 409 ``pdf_failed`` with the reason."""
    return queued_pdf(
        report.status,
        pdf=lambda: report.pdf,
        filename=f"{report.community.name}{report.month}台账.pdf",
        not_ready_message=_("台账PDF正在生成，请几秒后再下载。"),
        failed=LedgerFailed(report.message),
        disposition="inline",
    )


@bp.get("/communities/<int:community_id>/projects/notice.pdf")
@login_required
def project_notice(community_id: int):
    return pdf_response(
        notice.project_notice(require_actor(), community_id), "服务项目清单公示.pdf"
    )


@bp.get("/terms/<int:term_id>/report.pdf")
@login_required
def term_report(term_id: int):
    return pdf_response(term_reports.term_report(require_actor(), term_id), "六个一工作报告.pdf")
