"""The log of issued certificates: each number once, never deleted, revoked with a reason."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db


class Certificate(db.Model):
    __tablename__ = "certificates"
    # The snapshot is the document itself (her name, every record): the log keeps who issued or
    # revoked which number, not a second copy of her data.
    __audit_exclude__ = ("snapshot", "snapshot_hash")

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # XW-2026-000123
    # What the QR carries: random, so numbers (which are sequential) cannot be walked.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hours_total: Mapped[Decimal] = mapped_column(sa.Numeric(9, 2))
    hours_entered: Mapped[Decimal] = mapped_column(sa.Numeric(9, 2))  # 补录, within the total
    records_count: Mapped[int]
    # SHA-256 of what the certificate states (records, totals, names): the PDF made again later
    # from the same snapshot proves the same thing.
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    snapshot_hash: Mapped[str] = mapped_column(sa.String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    community: Mapped[Community] = relationship()

    __table_args__ = (
        sa.CheckConstraint("records_count > 0 AND hours_total > 0", name="has_verified_hours"),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoke_reason = '')", name="revoked_with_reason"
        ),
    )


PDF_QUEUED, PDF_RUNNING, PDF_DONE, PDF_FAILED = "queued", "running", "done", "failed"


class CertificatePdf(db.Model):
    """The certificate's PDF, made once by the task queue when it is issued and kept: what a
    certificate states never changes, so neither does its document. The row is the job too
    (status, attempts, why it failed), as the monthly 台账's is; auditing it would log each
    state change of a job, and its bytes are her records again."""

    __tablename__ = "certificate_pdfs"
    __audit__ = False

    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=PDF_QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)  # renders tried since last (re)queued
    message: Mapped[str] = mapped_column(sa.Text, default="")  # why the last attempt failed
    # Where the QR points (the site the certificate was issued on): the worker has no request.
    base_url: Mapped[str] = mapped_column(sa.String(255), default="")
    size: Mapped[int] = mapped_column(default=0)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    certificate: Mapped[Certificate] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status in (PDF_QUEUED, PDF_RUNNING)
