"""Edited objects carry a version: a stale one is a 409 version_conflict, never an overwrite."""

import pytest
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from coop.errors import VersionConflict
from coop.extensions import db
from coop.versioning import check_version, touch
from tests import factories


def test_each_update_bumps_the_version(ctx):
    need = factories.make_need(factories.make_community())
    db.session.flush()
    assert need.version == 1
    need.title = "新的标题"
    db.session.flush()
    assert need.version == 2


def test_a_stale_version_is_refused_before_anything_changes(ctx):
    need = factories.make_need(factories.make_community())
    db.session.flush()
    with pytest.raises(VersionConflict) as refused:
        check_version(need, need.version + 1)
    assert refused.value.status == 409
    assert refused.value.code == "version_conflict"
    check_version(need, need.version)


def test_touch_bumps_the_version_when_only_a_related_row_changed(ctx):
    user = factories.make_volunteer(factories.make_community())
    db.session.flush()
    before = user.version
    touch(user, "display_name")
    db.session.flush()
    assert user.version == before + 1


def test_a_stale_write_answers_409_version_conflict(app: Flask):
    with app.test_request_context("/api/v1/needs/1", method="PATCH"):
        response = app.handle_user_exception(StaleDataError("stale"))
    assert response.status_code == 409
    assert response.get_json()["code"] == "version_conflict"
    assert response.get_json()["message"] == "已被他人修改，请刷新后再改。"
