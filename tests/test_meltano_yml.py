"""meltano.yml declares each plugin's settings as the plugin itself does (`--about`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The SDK's own settings: Meltano knows them from `capabilities`.
SDK_BUILTINS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "batch_config",
    "batch_size_rows",
    "add_record_metadata",
    "validate_records",
    "load_method",
}
# Left out on purpose, with the reason in meltano.yml.
NOT_DECLARED = {"backoff_base_seconds", "musicbrainz_request_interval_seconds"}


def project() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text())


def plugin(kind: str, name: str) -> dict:
    return next(p for p in project()["plugins"][kind] if p["name"] == name)


def about(executable: str) -> dict:
    result = subprocess.run(
        [str(BIN / executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("kind", "name"), [("extractors", "tap-spotify-recent"), ("loaders", "target-turso")]
)
def test_custom_plugins_need_no_hub_and_declare_every_setting(kind, name):
    declared = plugin(kind, name)
    assert "variant" not in declared  # a variant makes Meltano ask the Hub
    assert {"namespace", "pip_url", "executable"} <= declared.keys()
    info = about(declared["executable"])
    own = {
        key: spec
        for key, spec in info["settings"]["properties"].items()
        if key not in SDK_BUILTINS | NOT_DECLARED
    }
    settings = {setting["name"]: setting for setting in declared["settings"]}
    assert own.keys() <= settings.keys()
    for key, spec in own.items():
        assert bool(settings[key].get("sensitive")) == bool(spec.get("secret")), key
        assert "password" not in settings[key].get("kind", ""), key  # deprecated in Meltano 4
    assert set(declared["capabilities"]) <= set(info["capabilities"])


def test_spotify_credentials_are_required_together_unless_an_export_is_imported():
    tap = plugin("extractors", "tap-spotify-recent")
    assert tap["settings_group_validation"] == [
        ["client_id", "client_secret", "refresh_token"],
        ["history_path"],
    ]


def test_no_secret_is_written_into_meltano_yml():
    text = (ROOT / "meltano.yml").read_text()
    for plugin_kind in project()["plugins"].values():
        for declared in plugin_kind:
            for key, value in (declared.get("config") or {}).items():
                assert "token" not in key, (declared["name"], value)
                assert "secret" not in key, (declared["name"], value)
    assert "environments" in project()
    assert "$TURSO_AUTH_TOKEN" in text  # prod reads the token from the environment only


def test_the_report_runs_as_a_meltano_utility():
    report = plugin("utilities", "listening-report")
    assert report["executable"] == "listening-report"
    assert "./listening-report" in report["pip_url"]
