"""`meltano state` commands on the libSQL state backend that target-turso ships."""

from __future__ import annotations

import json

from target_turso.state_backend import LibSQLStateStoreManager


def test_meltano_state_commands_work_on_the_backend(meltano_project, sqld_factory, fresh_runner):
    server = sqld_factory()
    env = {"MELTANO_STATE_BACKEND_URI": f"libsql://127.0.0.1:{server.port}?tls=0", **fresh_runner()}

    def meltano_state(*args: str) -> str:
        run = meltano_project.meltano("state", *args, env=env)
        assert run.returncode == 0, str(run)
        return run.output

    first = {"singer_state": {"bookmarks": {"s": {"x": 1}}}}
    meltano_state("set", "--force", "dev:a-to-b", json.dumps(first))
    meltano_state(
        "merge", "dev:a-to-b", json.dumps({"singer_state": {"bookmarks": {"t": {"y": 2}}}})
    )
    merged = {"singer_state": {"bookmarks": {"s": {"x": 1}, "t": {"y": 2}}}}
    printed = meltano_state("get", "dev:a-to-b").splitlines()
    assert [json.loads(line) for line in printed if line.startswith("{")] == [merged]
    meltano_state("copy", "--force", "dev:a-to-b", "dev:c-to-d")
    meltano_state("clear", "--force", "dev:a-to-b")
    listed = meltano_state("list").splitlines()
    assert [line for line in listed if line.startswith("dev:")] == ["dev:c-to-d"]
    uri = f"libsql://127.0.0.1:{server.port}?tls=0"
    with LibSQLStateStoreManager(uri=uri, lock_timeout_seconds=10) as store:
        assert store.get("dev:c-to-d").completed_state == merged
