"""The certificate's PDF, made once by the task queue when it is issued and kept.

What a certificate states is frozen in its snapshot, so its document never changes: the queue
draws it once (Jinja, then WeasyPrint: seconds for hundreds of records, too long for a request)
and ``certificate_pdfs`` keeps the bytes. A render that raises is retried by the queue
(``ATTEMPTS`` in all); after the last it is shown as failed, and she or staff may queue it again
(``remake``). A revoked certificate's PDF still downloads: the check page says it is revoked.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for

from coop import queue
from coop.auth.models import User
from coop.certificates import queries
from coop.certificates.errors import PdfAlreadyMade
from coop.certificates.models import (
    PDF_DONE,
    PDF_FAILED,
    PDF_QUEUED,
    PDF_RUNNING,
    Certificate,
    CertificatePdf,
)
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.uow import unit_of_work

logger = logging.getLogger(__name__)

ATTEMPTS = 3  # renders before the job is shown as failed
RETRY_DELAY = 20  # seconds between attempts (Huey's retry_delay)
MISSING = "missing"


def _base_url() -> str:
    """The site the certificate is issued on, for the QR: the request's, else SITE_URL."""
    if has_request_context():
        return request.host_url
    return current_app.config.get("SITE_URL") or ""


def request_pdf(certificate: Certificate) -> CertificatePdf:
    """Queue the PDF of a certificate just issued (made after the unit of work commits)."""
    document = CertificatePdf(certificate_id=certificate.id, base_url=_base_url())
    db.session.add(document)
    db.session.flush()
    queue.enqueue(build_pdf, certificate.id)
    return document


def remake(actor: User, certificate_id: int) -> CertificatePdf:
    """Queue the PDF again after it failed (or for a certificate issued before PDFs were kept).

    :raise NotFound: not a certificate the actor sees.
    :raise Conflict: ``pdf_already_made``; a job already queued or running is returned as is.
    """
    certificate = queries.get_certificate(actor, certificate_id)
    document = db.session.get(CertificatePdf, certificate.id, with_for_update=True)
    if document is None:
        return request_pdf(certificate)
    if document.status == PDF_DONE:
        raise PdfAlreadyMade()
    if document.status == PDF_FAILED:
        document.status, document.attempts, document.message = PDF_QUEUED, 0, ""
        document.requested_at, document.finished_at = utcnow(), None
        document.base_url = _base_url() or document.base_url
        db.session.flush()
        queue.enqueue(build_pdf, certificate.id)
    return document


@dataclass(frozen=True)
class Job:
    """What the page and the API say of a certificate's PDF."""

    certificate_id: int
    status: str  # queued, running, done, failed; missing: issued before PDFs were kept
    size: int = 0
    requested_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def is_running(self) -> bool:
        return self.status in (PDF_QUEUED, PDF_RUNNING)

    @property
    def pdf_url(self) -> str | None:
        if self.status != PDF_DONE:
            return None
        return url_for("certificates.pdf", certificate_id=self.certificate_id)


def job_of(certificate: Certificate, document: CertificatePdf | None = None) -> Job:
    document = document or document_of(certificate.id)
    if document is None:
        return Job(certificate.id, MISSING)
    return Job(
        certificate.id,
        document.status,
        document.size,
        document.requested_at,
        document.finished_at,
    )


def document_of(certificate_id: int) -> CertificatePdf | None:
    return db.session.get(CertificatePdf, certificate_id)


def documents_of(certificate_ids: list[int]) -> dict[int, CertificatePdf]:
    if not certificate_ids:
        return {}
    rows = db.session.scalars(
        sa.select(CertificatePdf).where(CertificatePdf.certificate_id.in_(certificate_ids))
    )
    return {row.certificate_id: row for row in rows}


def stored_pdf(document: CertificatePdf) -> bytes:
    return db.session.scalar(
        sa.select(CertificatePdf.pdf).where(
            CertificatePdf.certificate_id == document.certificate_id
        )
    )


@queue.task(retries=ATTEMPTS - 1, retry_delay=RETRY_DELAY)
def build_pdf(certificate_id: int) -> None:
    """Draw the certificate's PDF from its snapshot and keep it; once done, running it again
    does nothing. A failure before the last attempt is raised, so the queue tries again."""
    from coop.certificates.documents import certificate_pdf

    with unit_of_work():
        document = db.session.get(CertificatePdf, certificate_id, with_for_update=True)
        if document is None or document.status in (PDF_DONE, PDF_FAILED):
            return
        document.status = PDF_RUNNING
        document.attempts += 1
        attempt, base_url = document.attempts, document.base_url
    try:
        # A request of its own, signed in as nobody, on the site it was issued on (the QR).
        with current_app.test_request_context("/", base_url=base_url or None):
            pdf = certificate_pdf(db.session.get(Certificate, certificate_id))
    except Exception as error:
        logger.exception("certificate %s: PDF attempt %s failed", certificate_id, attempt)
        last = attempt >= ATTEMPTS
        with unit_of_work():
            document = db.session.get(CertificatePdf, certificate_id)
            document.status = PDF_FAILED if last else PDF_QUEUED
            document.message = type(error).__name__
            if last:
                document.finished_at = utcnow()
        if not last:
            raise
        return
    with unit_of_work():
        document = db.session.get(CertificatePdf, certificate_id)
        document.pdf, document.size, document.status = pdf, len(pdf), PDF_DONE
        document.message, document.finished_at = "", utcnow()
