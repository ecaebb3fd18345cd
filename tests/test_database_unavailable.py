"""A database that cannot be reached (PostgreSQL restarting) answers 503 with Retry-After."""

import pytest

from coop import create_app

# Its own app on an unreachable database, not the suite's rolled-back session.
pytestmark = pytest.mark.committed


@pytest.fixture
def unreachable_client():
    # Port 1 on loopback refuses at once: the same error PostgreSQL gives while it restarts.
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/coop",
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    return app.test_client()


def test_api_answers_503_with_retry_after_when_the_database_is_unreachable(unreachable_client):
    response = unreachable_client.post(
        "/api/v1/tokens", json={"username": "secretary", "password": "coop-demo"}
    )

    assert response.status_code == 503
    assert response.json["code"] == "unavailable"
    assert response.json["message"] == "服务暂时不可用，请稍后再试。"
    assert int(response.headers["Retry-After"]) > 0


def test_sign_in_page_answers_503_when_the_database_is_unreachable(unreachable_client):
    response = unreachable_client.post(
        "/login", data={"username": "secretary", "password": "coop-demo"}
    )

    assert response.status_code == 503
    assert "服务暂时不可用" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
