"""`python -m testkit.demo` outside the Meltano project: one line saying where to run it.

The demo itself runs from a fresh clone with `make demo` (the repository's
tests/test_fresh_clone.py).
"""

from __future__ import annotations

import subprocess
import sys


def test_the_demo_outside_a_meltano_project_says_where_to_run_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "testkit.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"demo: {tmp_path} holds no meltano.yml: run `make demo` in the repository\n"
    )
