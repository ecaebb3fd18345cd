import io

import pytest
from PIL import Image

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from tests.factories import make_activity, make_community, make_project, make_secretary


def jpeg_with_gps(width=2400, height=1800) -> bytes:
    """A camera-like JPEG carrying EXIF (a GPS block and an orientation tag)."""
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation
    exif[0x010F] = "PhoneMaker"  # make
    exif.get_ifd(0x8825)[2] = (39.0, 49.0, 0.0)  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(width=40, height=30) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def activity(community):
    return make_activity(community, title="邻里文化节")


def lead_project(community, unit):
    """A project led by ``unit`` (its approved claim is the lead)."""
    project = make_project(community)
    claim = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=ClaimStatus.APPROVED,
    )
    db.session.add(claim)
    project.approved_count += 1
    db.session.flush()
    project.lead_claim_id = claim.id
    db.session.flush()
    return project
