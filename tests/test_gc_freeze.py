"""A served app freezes what lives as long as the process (coop.create_app), so the cycle
collector's full collections walk only what requests made; the test suite's apps do not."""

import gc

from coop import create_app


def test_a_served_app_freezes_its_long_lived_objects(monkeypatch, tmp_path):
    monkeypatch.setenv("COOP_ENV", "development")
    gc.unfreeze()
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'frozen.db'}"})
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_a_test_app_leaves_the_collector_alone(tmp_path):
    gc.unfreeze()
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    assert gc.get_freeze_count() == 0
