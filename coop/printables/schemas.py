import marshmallow as ma
from flask import url_for
from marshmallow import fields

from coop.schemas import month


class LedgerIn(ma.Schema):
    month = fields.String(
        required=True,
        validate=month(error="请按 年-月 填写月份，例如 2026-11。"),
        metadata={"description": "YYYY-MM, community time; not a month still to come"},
    )


class LedgerReportOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    month = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    size = fields.Integer(metadata={"description": "bytes of the PDF once done"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    pdf_url = fields.Method("_pdf_url", allow_none=True)

    def _pdf_url(self, report):
        if report.status != "done":
            return None
        return url_for("printables_api.LedgerReportPdf", report_id=report.id)
