"""The CLI against a real sqld: JWT auth, a server killed mid-load, a 100k-row stream."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from pathlib import Path

import jwt
import libsql_experimental
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SCHEMA = {
    "type": "SCHEMA",
    "stream": "plays",
    "key_properties": ["id"],
    "schema": {"properties": {"id": {"type": "integer"}, "v": {"type": "string"}}},
}


def stream_lines(n: int, state_every: int = 1000) -> list[str]:
    """SCHEMA, n records `{"id": i, "v": "v<i>"}` and a STATE every `state_every` records."""
    lines = [json.dumps(SCHEMA)]
    for i in range(1, n + 1):
        lines.append(
            json.dumps({"type": "RECORD", "stream": "plays", "record": {"id": i, "v": f"v{i}"}})
        )
        if i % state_every == 0 or i == n:
            lines.append(json.dumps({"type": "STATE", "value": {"done": i}}))
    return [line + "\n" for line in lines]


def feed(process: subprocess.Popen, lines: list[str]) -> threading.Thread:
    """Write lines to the process's stdin from a thread, then close it.

    The target stops reading while it retries, so a blocking write from the test
    would stall it; a target that gave up closes the pipe (BrokenPipeError).
    """

    def write() -> None:
        # Closed either way: a pipe the target closed first still holds a file descriptor here.
        with contextlib.suppress(BrokenPipeError), process.stdin:
            process.stdin.writelines(lines)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def load_while_killing_sqld(
    target_cli, config: Path, server, lines: list[str], split: int, stderr
) -> subprocess.Popen:
    """Start the target, kill sqld once its first batch is committed, then send the rest."""
    target = subprocess.Popen(
        [str(target_cli), "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    target.stdin.writelines(lines[:split])
    target.stdin.flush()
    deadline = time.monotonic() + 30
    while count_rows(server.url, "plays")[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    feed(target, lines[split:])
    return target


def count_rows(url: str, table: str, token: str = "") -> tuple[int, int, int]:
    """(rows, distinct ids, sum of ids) of a table; (0, 0, 0) if it does not exist yet."""
    db = libsql_experimental.connect(url, auth_token=token)
    try:
        return db.execute(
            f'SELECT count(*), count(DISTINCT "id"), coalesce(sum("id"), 0) FROM "{table}"'
        ).fetchone()
    except ValueError:
        return 0, 0, 0
    finally:
        db.close()


def test_good_jwt_loads_and_the_token_never_appears_in_output(sqld_jwt, unique_prefix, cli):
    token = sqld_jwt.make_token()
    config = {"database_url": sqld_jwt.url, "auth_token": token, "table_prefix": unique_prefix}
    result = cli(config, "".join(stream_lines(3)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"done": 3}\n'
    assert token not in result.stderr + result.stdout
    assert count_rows(sqld_jwt.url, f"{unique_prefix}plays", token) == (3, 3, 6)


def test_token_signed_by_another_key_is_rejected_naming_the_setting(sqld_jwt, cli):
    forged = jwt.encode({"a": "rw"}, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    result = cli({"database_url": sqld_jwt.url, "auth_token": forged}, "".join(stream_lines(1)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"The server at {sqld_jwt.url} rejected the `auth_token` setting" in result.stderr
    assert "Transient error" not in result.stderr  # a bad token is not retried
    assert forged not in result.stderr + result.stdout


def test_missing_token_for_a_server_that_requires_one_says_to_set_it(sqld_jwt, cli):
    result = cli({"database_url": sqld_jwt.url}, "".join(stream_lines(1)))
    assert result.returncode == 1
    assert "requires authentication and no `auth_token` is set" in result.stderr


def test_sqld_killed_mid_load_then_rerun_gives_exactly_one_clean_runs_rows(
    sqld_factory, tmp_path, target_cli
):
    server = sqld_factory()
    lines = stream_lines(20_000)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"database_url": server.url, "batch_size_rows": 1000}))
    with (tmp_path / "stderr.log").open("w+") as stderr:
        target = load_while_killing_sqld(target_cli, config, server, lines, 8000, stderr)
        with target.stdout:
            stdout = target.stdout.read()
        target.wait(timeout=60)
        stderr.seek(0)
        log = stderr.read()
    assert target.returncode == 1
    assert stdout == ""  # no STATE: the records before it were not all committed
    assert f"Could not reach the database at {server.url}" in log
    assert "Traceback" not in log

    server.start()
    partial = count_rows(server.url, "plays")
    assert 0 < partial[0] < 20_000
    rerun = subprocess.run(
        [str(target_cli), "--config", str(config)],
        input="".join(lines),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines()[-1] == '{"done": 20000}'
    assert count_rows(server.url, "plays") == (20_000, 20_000, 20_000 * 20_001 // 2)


def test_sqld_restarted_while_the_target_retries_loses_nothing(sqld_factory, tmp_path, target_cli):
    server = sqld_factory()
    lines = stream_lines(5000)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"database_url": server.url, "batch_size_rows": 1000}))
    target = load_while_killing_sqld(target_cli, config, server, lines, 2500, subprocess.DEVNULL)
    time.sleep(0.3)
    server.start()
    with target.stdout:
        stdout = target.stdout.read()
    target.wait(timeout=60)
    assert target.returncode == 0
    assert stdout == '{"done": 5000}\n'
    assert count_rows(server.url, "plays") == (5000, 5000, 5000 * 5001 // 2)


def test_100k_row_stream_over_http(sqld, unique_prefix, cli):
    config = {"database_url": sqld.url, "table_prefix": unique_prefix}
    result = cli(config, "".join(stream_lines(100_000, state_every=10_000)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"done": 100000}\n'
    table = f"{unique_prefix}plays"
    assert count_rows(sqld.url, table) == (100_000, 100_000, 100_000 * 100_001 // 2)
    db = libsql_experimental.connect(sqld.url)
    assert db.execute(f'SELECT "v" FROM "{table}" WHERE "id" = 99999').fetchall() == [("v99999",)]


def test_a_concurrent_writer_to_the_same_database_does_not_fail_the_load(sqld, unique_prefix, cli):
    """Meltano's state lock heartbeat writes to the database the target is loading.

    Each new table is prepared by reading its shape, then creating it; another
    connection's commit between the two must not fail the load (SQLITE_BUSY).
    """
    stop = threading.Event()
    writes = []

    def heartbeat() -> None:
        db = libsql_experimental.connect(sqld.url)
        db.execute(f'CREATE TABLE IF NOT EXISTS "{unique_prefix}beat" ("id" PRIMARY KEY, "at")')
        db.commit()
        while not stop.is_set():
            db.execute(
                f'INSERT OR REPLACE INTO "{unique_prefix}beat" VALUES (1, ?)', (time.time(),)
            )
            db.commit()
            writes.append(1)
        db.close()

    streams = [f"s{i}" for i in range(25)]
    lines = []
    for stream in streams:
        lines.append({**SCHEMA, "stream": stream})
        lines += [
            {"type": "RECORD", "stream": stream, "record": {"id": i, "v": "x"}} for i in (1, 2)
        ]
    lines.append({"type": "STATE", "value": {"done": len(streams)}})
    thread = threading.Thread(target=heartbeat, daemon=True)
    thread.start()
    try:
        config = {"database_url": sqld.url, "table_prefix": unique_prefix}
        result = cli(config, "".join(json.dumps(line) + "\n" for line in lines))
    finally:
        stop.set()
        thread.join()
    assert writes, "the other writer never committed"
    assert "Transient error" not in result.stderr  # it waited for the lock, no retry needed
    assert result.returncode == 0, result.stderr
    assert result.stdout == f'{{"done": {len(streams)}}}\n'
    for stream in streams:
        assert count_rows(sqld.url, f"{unique_prefix}{stream}") == (2, 2, 3)
