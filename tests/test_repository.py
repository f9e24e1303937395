"""What a clone holds: no path of a development machine, the license its packages declare."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# An absolute path of someone's machine: a home folder, root's, or a workspace mount
# (written so that this file does not match itself).
MACHINE_PATH = re.compile(r"(?<![\w.$~-])/(?:" + "work|root|home/[^/\\s]+|Users/[^/\\s]+" + r")/")
PYPROJECTS = sorted(ROOT.glob("*/pyproject.toml"))


def tracked_text_files() -> dict[str, str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    texts = {}
    for name in filter(None, listed.split("\0")):
        try:
            texts[name] = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):  # binary, or deleted in the worktree
            continue
    return texts


def test_no_tracked_file_mentions_a_path_of_a_development_machine():
    texts = tracked_text_files()

    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for name, text in texts.items()
        for match in MACHINE_PATH.finditer(text)
    ]

    assert len(texts) > 100  # the check read the repository
    assert found == []


def test_the_machine_path_check_catches_what_it_should():
    paths = ["cd /w" + "ork/main", "see /ho" + "me/ann/x", "/Us" + "ers/bo/y", "/ro" + "ot/.cache"]
    fine = ["$HOME/spotify-history", "~/.cache/uv", "https://example.com/home/page", "./work/"]

    assert [bool(MACHINE_PATH.search(text)) for text in paths] == [True] * 4
    assert [bool(MACHINE_PATH.search(text)) for text in fine] == [False] * 4


def test_the_license_is_the_apache_2_0_text_every_package_declares():
    text = (ROOT / "LICENSE").read_text()
    declared = {
        path.parent.name: tomllib.loads(path.read_text())["project"]["license"]
        for path in PYPROJECTS
    }

    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) == 202  # the full text, with its appendix
    assert declared == {
        "libsql-access": "Apache-2.0",
        "listening-report": "Apache-2.0",
        "tap-spotify-recent": "Apache-2.0",
        "target-turso": "Apache-2.0",
        "testkit": "Apache-2.0",
    }
