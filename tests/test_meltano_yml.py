"""Settings said once: each plugin's code declares them (`--about`), and meltano.yml, the
READMEs and `.env.example` agree with it.

- meltano.yml declares each plugin's settings as the plugin does: names, secrets, kinds,
  defaults where it gives one;
- each package README's settings section is what `--about` prints (`make settings-tables`);
- the root README's configuration table names real settings, with their secrets, environment
  variables and defaults;
- `.env.example` names every secret a user keeps in `.env`.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from importlib import resources
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

from testkit import settings_tables

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
SINGER_PLUGINS = [("extractors", "tap-spotify-recent"), ("loaders", "target-turso")]


def project() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text())


def plugin(kind: str, name: str) -> dict:
    return next(p for p in project()["plugins"][kind] if p["name"] == name)


@functools.cache
def about(executable: str) -> dict:
    result = subprocess.run(
        [str(BIN / executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def meltano_kind(spec: dict) -> str | None:
    """The Meltano setting kind of a JSON-schema property (None: Meltano has none for it)."""
    types = set(spec.get("type", [])) - {"null"}
    if "enum" in spec:
        return "options"
    if types == {"string"} and spec.get("format") in {"date", "date-time"}:
        return "date_iso8601"
    kinds = {"string": "string", "integer": "integer", "boolean": "boolean", "object": "object"}
    return kinds.get(types.pop()) if len(types) == 1 else None


def env_variable(plugin_name: str, setting: str) -> str:
    """The environment variable Meltano reads a plugin's setting from."""
    return f"{plugin_name}_{setting}".upper().replace("-", "_").replace(".", "_")


@pytest.mark.parametrize(("kind", "name"), SINGER_PLUGINS)
def test_custom_plugins_need_no_hub_and_declare_every_setting(kind, name):
    declared = plugin(kind, name)
    assert "variant" not in declared  # a variant makes Meltano ask the Hub
    assert {"namespace", "pip_url", "executable"} <= declared.keys()
    info = about(declared["executable"])
    properties = info["settings"]["properties"]
    own = {key for key in properties if key not in SDK_BUILTINS | NOT_DECLARED}
    settings = {setting["name"]: setting for setting in declared["settings"]}
    assert own <= settings.keys()
    assert settings.keys() <= properties.keys()  # nothing declared that the plugin lacks
    assert set(declared["capabilities"]) <= set(info["capabilities"])


@pytest.mark.parametrize(("kind", "name"), SINGER_PLUGINS)
def test_meltano_yml_declares_each_setting_as_the_plugin_does(kind, name):
    declared = plugin(kind, name)
    properties = about(declared["executable"])["settings"]["properties"]

    for setting in declared["settings"]:
        spec = properties[setting["name"]]
        assert bool(setting.get("sensitive")) == bool(spec.get("secret")), setting
        assert setting.get("kind", "string") == meltano_kind(spec), setting
        if "enum" in spec:
            assert [option["value"] for option in setting["options"]] == spec["enum"], setting
        if "value" in setting:
            assert setting["value"] == spec.get("default"), setting


def test_meltano_kind_maps_json_schema_types():
    assert [
        meltano_kind({"type": ["integer", "null"]}),
        meltano_kind({"type": ["string", "null"], "format": "date"}),
        meltano_kind({"type": ["string", "null"], "enum": ["a"]}),
        meltano_kind({"type": ["string"]}),
        meltano_kind({"type": ["number", "null"]}),
    ] == ["integer", "date_iso8601", "options", "string", None]


@pytest.mark.parametrize("package", settings_tables.ABOUT)
def test_each_package_readme_shows_the_settings_its_plugin_prints(package):
    readme = settings_tables.readme(package).read_text()

    section = settings_tables.current(readme)

    assert section, f"{package}/README.md has no settings section"
    assert section == settings_tables.generated(package), (
        f"{package}/README.md: run `make settings-tables`"
    )


def configuration_rows() -> list[tuple[str, str, bool, str, str]]:
    """(plugin, setting, secret, env variable, default) of the root README's table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")][1:]
    rows, current = [], ""
    for line in lines:
        plugin_cell, setting_cell, env_cell, default_cell, _ = (
            cell.strip() for cell in line.strip("|").split("|")
        )
        current = plugin_cell or current
        for name, secret in re.findall(r"`([^`]+)`( \(secret\))?", setting_cell):
            rows.append((current, name, bool(secret), env_cell.strip("`"), default_cell))
    return rows


def shown(default: object) -> str:
    """A default as the README's table writes it (empty for none)."""
    if default in (None, ""):
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    text = str(default)
    return text if text.isdigit() else f"`{text}`"


def meltano_settings() -> dict[str, dict]:
    """Meltano's own settings and those of its state backends (entry points)."""
    bundled = resources.files("meltano.core.bundle").joinpath("settings.yml").read_text()
    settings = {s["name"]: s for s in yaml.safe_load(bundled)["settings"]}
    for entry in entry_points(group="meltano.settings"):
        definition = entry.load()
        settings[definition.name] = {"sensitive": bool(definition.sensitive)}
    return settings


def test_the_root_readme_configuration_table_agrees_with_the_plugins():
    rows = configuration_rows()
    report = {s["name"]: s for s in plugin("utilities", "listening-report")["settings"]}
    meltano = meltano_settings()

    for plugin_name, name, secret, env, default in rows:
        row = (plugin_name, name)
        if plugin_name in dict(SINGER_PLUGINS).values():
            spec = about(plugin_name)["settings"]["properties"][name]
            assert secret == bool(spec.get("secret")), row
            assert env == env_variable(plugin_name, name), row
            assert default == shown(spec.get("default")), row
        elif plugin_name == "listening-report":
            assert secret == bool(report[name].get("sensitive")), row
            assert env == "LISTENING_REPORT_*", row
        else:
            assert plugin_name == "Meltano", row
            assert secret == meltano[name].get("sensitive", False), row
            assert env == env_variable("meltano", name), row
            assert default == shown(meltano[name].get("value")), row
    assert len(rows) == 26  # every row was read


def variables_read_from_the_environment() -> tuple[set[str], set[str]]:
    """(every variable this project reads a setting from, those a user keeps secrets in).

    A sensitive setting whose value is another variable (`$TARGET_TURSO_AUTH_TOKEN`) is
    kept in that one; Meltano's state backend here is libSQL.
    """
    settings, secrets = set(), set()
    declared = {p["name"]: p for kind in project()["plugins"].values() for p in kind}
    for name, definition in declared.items():
        for setting in definition.get("settings", []):
            value = setting.get("value")
            own = env_variable(name, setting["name"])
            kept_in = value[1:] if isinstance(value, str) and value.startswith("$") else own
            settings |= {own, kept_in}
            if setting.get("sensitive"):
                secrets.add(kept_in)
    for environment in project()["environments"]:
        for kind in (environment.get("config") or {}).get("plugins", {}).values():
            for configured in kind:
                plugin_settings = declared[configured["name"]]["settings"]
                sensitive = {s["name"] for s in plugin_settings if s.get("sensitive")}
                for key, value in configured["config"].items():
                    if isinstance(value, str) and value.startswith("$"):
                        settings.add(value[1:])
                        if key in sensitive:
                            secrets.add(value[1:])
    for name, setting in meltano_settings().items():
        if name.startswith("state_backend."):
            settings.add(env_variable("meltano", name))
            if name.startswith("state_backend.libsql.") and setting.get("sensitive"):
                secrets.add(env_variable("meltano", name))
    return settings, secrets


def test_env_example_names_every_secret_and_only_real_settings():
    text = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    settings, secrets = variables_read_from_the_environment()

    assert secrets - named == set()
    assert named - settings == set()
    assert re.findall(r"^[A-Z]\w*=.+$", text, flags=re.MULTILINE) == []  # no values
    assert "`.env.example`" in (ROOT / "README.md").read_text()


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
