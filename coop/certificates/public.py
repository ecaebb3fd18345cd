"""The public check of a certificate (/certificates/check/<code>): the only read it makes.

It names its columns and returns what the printed certificate already shows, masked further:
her name with its middle hidden, never her records, her account or who issued it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from coop.alliance.models import Community
from coop.auth.models import User
from coop.certificates.models import Certificate
from coop.extensions import db
from coop.timeutil import COMMUNITY_TZ


def mask_name(name: str) -> str:
    """张小燕 → 张*燕, 李明 → 李*: enough to match the paper in hand, not to look her up."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class CertificateCheck:
    number: str
    volunteer: str  # masked
    community: str
    issued_on: date
    hours_total: Decimal
    records_count: int
    revoked_on: date | None

    @property
    def genuine(self) -> bool:
        return self.revoked_on is None


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(COMMUNITY_TZ).date() if moment else None


def check(code: str) -> CertificateCheck | None:
    """What the public may know of the certificate behind a QR code; None for an unknown code."""
    row = db.session.execute(
        sa.select(
            Certificate.number,
            User.display_name,
            Community.name,
            Certificate.issued_at,
            Certificate.hours_total,
            Certificate.records_count,
            Certificate.revoked_at,
        )
        .join(User, User.id == Certificate.volunteer_id)
        .join(Community, Community.id == Certificate.community_id)
        .where(Certificate.code == code)
    ).one_or_none()
    if row is None:
        return None
    number, name, community, issued_at, total, count, revoked_at = row
    return CertificateCheck(
        number=number,
        volunteer=mask_name(name),
        community=community,
        issued_on=_day(issued_at),
        hours_total=total,
        records_count=count,
        revoked_on=_day(revoked_at),
    )
