"""Named reads of certificates for signed-in people (the public check is in public.py)."""

import sqlalchemy as sa

from coop.alliance.permissions import managed_community_ids
from coop.auth.models import User
from coop.certificates.models import Certificate
from coop.errors import NotFound
from coop.extensions import db


def visible(actor: User | None):
    """Her own certificates; staff: those their community issued."""
    if actor is None:
        return sa.false()
    return sa.or_(
        Certificate.volunteer_id == actor.id,
        Certificate.community_id.in_(managed_community_ids(actor)),
    )


def get_certificate(actor: User | None, certificate_id: int) -> Certificate:
    """:raise NotFound: not one the actor may see (another community's is a 404 too)."""
    certificate = db.session.scalar(
        sa.select(Certificate).where(Certificate.id == certificate_id, visible(actor))
    )
    if certificate is None:
        raise NotFound()
    return certificate


def certificates_of(actor: User | None, volunteer_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.volunteer_id == volunteer_id, visible(actor))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )
