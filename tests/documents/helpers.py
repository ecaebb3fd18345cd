"""Verified service records put straight into the database, as verification leaves them."""

import io
from datetime import date, timedelta
from decimal import Decimal

from pypdf import PdfReader

from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from tests.factories import make_activity


def served(
    volunteer,
    community,
    verifier,
    hours,
    *,
    origin=RecordOrigin.CHECKIN,
    days_ago=10,
    status=RecordStatus.VERIFIED,
    activity=True,
    entered_by=None,
    **overrides,
):
    row = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        activity_id=make_activity(community, title="敬老院陪伴").id if activity else None,
        service_date=date(2026, 11, 1) - timedelta(days=days_ago),
        hours=Decimal(str(hours)),
        origin=origin,
        status=status,
        verified_by_id=verifier.id if status == RecordStatus.VERIFIED else None,
        entered_by_id=entered_by.id if entered_by else None,
        **overrides,
    )
    db.session.add(row)
    db.session.flush()
    return row


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
