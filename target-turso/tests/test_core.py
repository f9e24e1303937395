"""The SDK's standard target tests, against a local file and against a real sqld.

These check that the target accepts (or rejects) the SDK's sample streams; what
lands in the tables is checked by the scenario tests.
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_turso.target import TargetTurso

StandardTargetTests = get_target_test_class(TargetTurso)


class TestTargetTursoOnFile(StandardTargetTests):
    """Standard tests, each writing a fresh local database file."""

    @pytest.fixture
    def runner(self, tmp_path) -> TargetTestRunner:
        return TargetTestRunner(TargetTurso, config={"database_url": str(tmp_path / "t.db")})


class TestTargetTursoOnSqld(StandardTargetTests):
    """Standard tests over HTTP against sqld, each with its own table prefix."""

    @pytest.fixture
    def runner(self, sqld, unique_prefix) -> TargetTestRunner:
        return TargetTestRunner(
            TargetTurso, config={"database_url": sqld.url, "table_prefix": unique_prefix}
        )


def test_auth_token_is_declared_secret_and_load_method_defaults_to_upsert():
    properties = TargetTurso.config_jsonschema["properties"]
    assert properties["auth_token"]["secret"] is True
    assert properties["load_method"]["default"] == "upsert"
    assert properties["database_url"]["default"] == "turso.db"
