import marshmallow as ma

from coop.schemas import Id


class IssueIn(ma.Schema):
    volunteer_id = Id(required=True)


class CertificateOut(ma.Schema):
    id = ma.fields.Int()
    number = ma.fields.Str()
    volunteer_id = ma.fields.Int()
    community_id = ma.fields.Int()
    issued_at = ma.fields.AwareDateTime()
    hours_total = ma.fields.Decimal(as_string=True)
    hours_entered = ma.fields.Decimal(as_string=True)
    records_count = ma.fields.Int()
    snapshot_hash = ma.fields.Str()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    revoke_reason = ma.fields.Str()
    pdf_status = ma.fields.Method(
        "_pdf_status", metadata={"description": "queued, running, done, failed or missing"}
    )
    check_url = ma.fields.Method("_check_url")
    pdf_url = ma.fields.Method("_pdf_url")

    def _check_url(self, certificate):
        from coop.certificates.documents import check_url

        return check_url(certificate)

    def _pdf_status(self, certificate):
        from coop.certificates.pdfs import job_of

        return job_of(certificate).status

    def _pdf_url(self, certificate):
        from flask import url_for

        return url_for("certificates.pdf", certificate_id=certificate.id)


class PdfJobOut(ma.Schema):
    certificate_id = ma.fields.Int()
    status = ma.fields.Str(metadata={"description": "queued, running, done, failed or missing"})
    size = ma.fields.Int(metadata={"description": "bytes of the PDF once done"})
    requested_at = ma.fields.AwareDateTime(allow_none=True)
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    pdf_url = ma.fields.Str(
        allow_none=True, metadata={"description": "the PDF's address once done, else null"}
    )
