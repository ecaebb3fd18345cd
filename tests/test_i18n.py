"""The request's translations are found once and kept for the request (coop/i18n.py): the next
request, ``force_locale`` and the templates still speak the language they ask for."""

import pytest
from flask import render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from coop.alliance.models import UnitKind


@pytest.mark.committed  # no app context held open around it: each request has its own, as served
def test_each_request_speaks_its_own_language(app):
    client = FlaskClient(app, app.response_class, use_cookies=True)  # not the suite's _Client
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)
    assert "登录" in client.get("/login?lang=zh").get_data(as_text=True)
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)


def test_force_locale_speaks_chinese_inside_an_english_request_and_english_after(app):
    with app.test_request_context("/?lang=en"):
        assert gettext("志愿者") == "Volunteer"
        with force_locale("zh"):
            assert gettext("志愿者") == "志愿者"
            assert UnitKind.MUNICIPAL.label == "市直结对共建单位"
            assert render_template_string("{{ _('志愿者') }}") == "志愿者"
        assert UnitKind.MUNICIPAL.label == "Paired municipal unit"
        assert render_template_string("{{ _('志愿者') }}") == "Volunteer"
