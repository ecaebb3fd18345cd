"""The first run: until the street and its first admin exist, only /setup answers; then it is
gone. The page, the API gate and `flask setup` share one service."""

import pytest
import sqlalchemy as sa

from coop.alliance.models import Street
from coop.auth.models import Role, User
from coop.errors import Invalid
from coop.extensions import db
from coop.setup import errors, first_run
from coop.setup.models import Installation
from tests.factories import PASSWORD, csrf, make_street

SET_UP = {
    "street_name": "青山路街道",
    "username": "zhaojd",
    "display_name": "赵街道",
    "phone": "13912345678",
    "password": PASSWORD,
}


def streets() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Street))


# --- the service ------------------------------------------------------------------------------


def test_set_up_creates_the_street_and_its_admin_with_her_own_password(not_set_up):
    admin = first_run.set_up(**SET_UP)

    assert admin.check_password(PASSWORD)
    assert [g.role for g in admin.grants] == [Role.STREET_ADMIN]
    assert admin.grants[0].street.name == "青山路街道"
    assert db.session.get(Installation, 1).set_up_by_id == admin.id
    assert first_run.is_set_up()


def test_set_up_happens_once(not_set_up):
    first_run.set_up(**SET_UP)

    with pytest.raises(errors.AlreadySetUp):
        first_run.set_up(**{**SET_UP, "street_name": "另一个街道", "username": "other"})
    assert streets() == 1


def test_set_up_refuses_a_common_password_and_creates_nothing(not_set_up):
    with pytest.raises(Invalid) as refused:
        first_run.set_up(**{**SET_UP, "password": "12345678"})

    assert "password" in refused.value.errors
    db.session.rollback()
    assert streets() == 0 and not first_run.is_set_up()


def test_a_database_with_a_street_counts_as_set_up(not_set_up):
    make_street()

    assert first_run.is_set_up()
    with pytest.raises(errors.AlreadySetUp):
        first_run.set_up(**SET_UP)


# --- pages and the API before and after ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/communities", "/me", "/invite", "/no-such-page"])
def test_every_page_goes_to_setup_before_the_first_set_up(client, not_set_up, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"


@pytest.mark.parametrize("path", ["/setup", "/static/coop.css", "/healthz", "/api/v1/openapi.json"])
def test_setup_static_files_and_health_answer_before_the_first_set_up(client, not_set_up, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/me"), ("post", "/api/v1/tokens"), ("get", "/api/v1/communities")],
)
def test_the_api_answers_503_not_set_up_before_the_first_set_up(client, not_set_up, method, path):
    response = getattr(client, method)(path, json={"username": "x", "password": "y"})

    assert response.status_code == 503
    assert response.json["code"] == "not_set_up"
    assert "/setup" in response.json["message"]


def test_the_api_documents_its_503(client):
    spec = client.get("/api/v1/openapi.json").json

    assert "503" in spec["paths"]["/api/v1/communities"]["post"]["responses"]
    assert "503" in spec["paths"]["/api/v1/me"]["get"]["responses"]


def test_the_setup_page_creates_the_street_signs_her_in_and_then_is_gone(client, not_set_up):
    token = csrf(client, "/setup")

    response = client.post(
        "/setup", data={**SET_UP, "password_repeat": PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 302 and response.headers["Location"] == "/communities"
    page = client.get("/communities")
    assert page.status_code == 200 and "赵街道" in page.get_data(as_text=True)
    assert "新建社区" in page.get_data(as_text=True)
    assert client.get("/setup").status_code == 404
    fresh = csrf(client, "/communities")  # signing in began a new session
    assert client.post("/setup", data={"csrf_token": fresh}).status_code == 404


def test_the_setup_page_refuses_two_different_passwords_and_changes_nothing(client, not_set_up):
    token = csrf(client, "/setup")

    response = client.post(
        "/setup", data={**SET_UP, "password_repeat": "something else", "csrf_token": token}
    )

    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.get_data(as_text=True)
    assert streets() == 0
    assert client.get("/setup").status_code == 200


def test_the_setup_page_is_404_on_a_database_set_up_before(client):
    assert client.get("/setup").status_code == 404
    assert client.get("/login").status_code == 200


# --- flask --app coop setup ---------------------------------------------------------------


def cli(app, *extra, input=None):
    args = ["setup", "--street", "青山路街道", "--username", "zhaojd", "--name", "赵街道", *extra]
    return app.test_cli_runner().invoke(args=args, input=input)


def admin_named(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_the_setup_command_prompts_for_the_password_twice(app, not_set_up):
    result = cli(app, "--phone", "13912345678", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "已建立“青山路街道”" in result.output
    assert admin_named("zhaojd").check_password(PASSWORD)
    assert first_run.is_set_up()


def test_the_setup_command_reads_the_password_from_stdin_for_scripts(app, not_set_up):
    result = cli(app, "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert admin_named("zhaojd").check_password(PASSWORD)


def test_the_setup_command_refuses_a_second_set_up(app):
    result = cli(app, "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 1
    assert "已经完成初始设置" in result.output
    assert admin_named("zhaojd") is None


def test_the_setup_command_refuses_a_bad_phone_and_creates_nothing(app, not_set_up):
    result = cli(app, "--phone", "12", "--password-stdin", input=f"{PASSWORD}\n")

    assert result.exit_code == 1 and "phone" in result.output
    assert streets() == 0


def test_the_demo_is_not_loaded_into_a_database_set_up_without_it(app, not_set_up):
    first_run.set_up(**{**SET_UP, "street_name": "春风街道"})
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code == 0
    assert "不再载入演示数据" in result.output
    assert streets() == 1
