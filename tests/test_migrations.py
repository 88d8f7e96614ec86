"""The committed migrations create exactly the schema the models describe."""

from __future__ import annotations

import os

import pytest

from tests.conftest import DATABASES, config_for, postgres_schema_url


@pytest.mark.parametrize("database", DATABASES)
def test_db_upgrade_builds_the_models_schema(database, tmp_path, app_factory, request):
    if database == "sqlite":
        url, options = f"sqlite:///{tmp_path / 'fresh.db'}", {}
    else:
        url, options = postgres_schema_url(f"pathways_migrations_{os.getpid()}", request)
    runner = app_factory(config_for(url, options)).test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output  # exits 1 when models and migrations differ
    # And the fresh schema works: a survey loads into it.
    load = runner.invoke(args=["surveys", "load"])
    assert load.exit_code == 0, load.output
    downgrade = runner.invoke(args=["db", "downgrade", "base"])
    assert downgrade.exit_code == 0, downgrade.output
