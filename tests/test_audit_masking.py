"""The audit log is kept for years: it holds phones, addresses and the like only masked, as the
pages show them, in the snapshots of every change."""

import pytest
import sqlalchemy as sa

from coop import audit
from coop.audit import AuditLog
from coop.categories import Category
from coop.extensions import db
from coop.needs import service as needs_service
from coop.needs.models import Beneficiary, NeedSource
from coop.people.models import ResidentProfile
from coop.privacy import mask_id_number, personal_mask
from coop.uow import unit_of_work
from tests.factories import make_community, make_resident, make_secretary, make_unit


def _rows(table: str, object_id) -> list[AuditLog]:
    query = (
        sa.select(AuditLog)
        .where(AuditLog.object_type == table, AuditLog.object_id == str(object_id))
        .order_by(AuditLog.id)
    )
    return list(db.session.scalars(query))


def test_a_recorded_need_is_audited_with_its_requesters_phone_and_address_masked(ctx):
    community = make_community()
    secretary = make_secretary(community)
    with unit_of_work(secretary):
        need = needs_service.record_need(
            secretary,
            community.id,
            title="独居老人助餐",
            category=Category.CARE,
            source=NeedSource.VISIT,
            beneficiary_group=Beneficiary.ELDERLY,
            requester_name="刘桂兰",
            requester_phone="13812341234",
            requester_address="阳光苑3号楼2单元501",
        )
    [created] = _rows("needs", need.id)
    assert created.after["requester_phone"] == "138****1234"
    assert created.after["requester_address"] == "阳光苑3号楼****"
    assert "13812341234" not in str(created.after) and "2单元501" not in str(created.after)
    assert created.after["title"] == "独居老人助餐"  # what is not personal stays whole


def test_a_corrected_phone_is_masked_before_and_after(ctx):
    community = make_community()
    secretary = make_secretary(community)
    with unit_of_work(secretary):
        need = needs_service.record_need(
            secretary,
            community.id,
            title="独居老人助餐",
            category=Category.CARE,
            source=NeedSource.VISIT,
            beneficiary_group=Beneficiary.ELDERLY,
            requester_phone="13812341234",
        )
        need_id = need.id
    with unit_of_work(secretary):
        needs_service.edit_need(secretary, need_id, version=1, requester_phone="13900009999")
    update = _rows("needs", need_id)[-1]
    assert update.action == "update"
    assert update.before["requester_phone"] == "138****1234"
    assert update.after["requester_phone"] == "139****9999"


def test_people_and_units_are_audited_masked(ctx):
    community = make_community()
    resident = make_resident(community, phone="13700001111")
    db.session.add(
        ResidentProfile(user=resident, community_id=community.id, address="幸福里5号楼3单元")
    )
    unit = make_unit(community, contact_phone="04778123456", address="康巴什区文化西路1号")
    db.session.flush()
    [user_row] = _rows("users", resident.id)
    [profile_row] = _rows("resident_profiles", resident.id)
    [unit_row] = _rows("units", unit.id)
    assert user_row.after["phone"] == "137****1111"
    assert profile_row.after["address"] == "幸福里5****"
    assert unit_row.after["contact_phone"] == "047****3456"
    assert unit_row.after["address"] == "康巴什区文化西路1号"  # a unit's address is public


def test_a_deleted_row_is_audited_masked(ctx):
    unit = make_unit(None, contact_phone="13812341234")
    db.session.delete(unit)
    db.session.flush()
    deleted = _rows("units", unit.id)[-1]
    assert deleted.action == "delete" and deleted.before["contact_phone"] == "138****1234"


PERSONAL = {
    ("users", "phone"),
    ("users", "email"),
    ("users", "wechat_openid"),
    ("needs", "requester_phone"),
    ("needs", "requester_address"),
    ("resident_profiles", "address"),
    ("units", "contact_phone"),
}


def test_every_personal_column_of_the_models_is_masked_in_the_audit_log():
    found = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if audit.masker(table.name, column.name) is not None
    }
    # Anything else masked is a new personal column: add it to PERSONAL, knowingly.
    assert found == PERSONAL


@pytest.mark.parametrize(
    ("column", "value", "masked"),
    [
        ("emergency_phone", "13812341234", "138****1234"),
        ("home_address", "阳光苑3号楼2单元501", "阳光苑3号楼****"),
        ("id_number", "150602199001011234", "**************1234"),
        ("health_notes", "高血压", "****"),
    ],
)
def test_a_column_is_masked_by_what_its_name_says(column, value, masked):
    assert personal_mask(column)(value) == masked


def test_an_id_number_never_shows_the_birth_date():
    assert "19900101" not in mask_id_number("150602199001011234")


@pytest.mark.committed
def test_the_migration_masks_the_audit_rows_already_written(tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path}/audit.sqlite3")
    with app.app_context():
        downgrade(revision="5b1f0e2a9c4d")
        written = [
            (
                "needs",
                {
                    "requester_phone": "13812341234",
                    "requester_address": "阳光苑3号楼2单元501",
                    "title": "助餐",
                },
            ),
            ("users", {"phone": "13700001111", "display_name": "王建国"}),
            ("units", {"contact_phone": "04778123456", "address": "文化西路1号"}),
            ("needs", {"requester_phone": "139****9999"}),  # masked already: left alone
            ("projects", {"title": "送餐到户", "address": "不是个人的"}),
        ]
        with db.engine.begin() as connection:
            for object_type, after in written:
                connection.execute(
                    sa.insert(AuditLog.__table__).values(
                        at=sa.func.now(),
                        action="create",
                        object_type=object_type,
                        object_id="1",
                        before=after,
                        after=after,
                    )
                )
        upgrade()
        rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        afters = [row.after for row in rows]
        assert [row.before for row in rows] == afters
        assert afters == [
            {
                "requester_phone": "138****1234",
                "requester_address": "阳光苑3号楼****",
                "title": "助餐",
            },
            {"phone": "137****1111", "display_name": "王建国"},
            {"contact_phone": "047****3456", "address": "文化西路1号"},
            {"requester_phone": "139****9999"},
            {"title": "送餐到户", "address": "不是个人的"},
        ]
        db.session.remove()
        db.engine.dispose()
