"""The settings sections of the package READMEs, generated from each plugin's ``--about``.

Settings are described once, in each plugin's code; a README shows what ``--about`` prints,
between the lines ``<!-- settings:start ... -->`` and ``<!-- settings:end -->``::

    python -m testkit.settings_tables            # rewrite them (make settings-tables)
    python -m testkit.settings_tables --check    # exit 1 naming each README that differs

The plugins are run from the virtualenv of this Python, as installed from this checkout.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from testkit.meltano import BIN, ROOT

ABOUT: dict[str, tuple[str, ...]] = {
    "tap-spotify-recent": ("--about", "--format=markdown"),
    "target-turso": ("--about", "--format=markdown"),
    "listening-report": ("--about",),
}
"""Each package's plugin (its folder and console script) and the arguments of its about."""

START = "<!-- settings:start"
END = "<!-- settings:end -->"
_SDK_FIRST_SECTION = "## Capabilities"


def generated(package: str) -> str:
    """The section as the plugin's about prints it.

    For a Singer SDK plugin: its capabilities, Python versions and settings, headings one
    level down (the README has its own title and description).
    """
    args = ABOUT[package]
    about = subprocess.run(
        [str(BIN / package), *args], capture_output=True, text=True, check=True
    ).stdout
    if _SDK_FIRST_SECTION in about:
        about = about[about.index(_SDK_FIRST_SECTION) :]
        about = re.sub(r"^(#+) ", r"#\1 ", about, flags=re.MULTILINE)
    command = " ".join((package, *args))
    return (
        f"{START}: generated from `{command}` by `make settings-tables`; edit the code -->\n"
        f"{about.strip()}\n{END}"
    )


def readme(package: str) -> Path:
    """The package's README in this checkout."""
    return ROOT / package / "README.md"


def current(text: str) -> str:
    """The marked section of a README's text, markers included ("" without markers)."""
    start = text.find(START)
    end = text.find(END, start)
    return text[start : end + len(END)] if start >= 0 and end >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check``, compare) every package README's settings section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, change nothing")
    args = parser.parse_args(argv)
    stale = []
    for package in ABOUT:
        path = readme(package)
        text = path.read_text(encoding="utf-8")
        section, wanted = current(text), generated(package)
        if not section:
            print(f"{path}: no {START} ... {END} section", file=sys.stderr)
            return 1
        if section != wanted:
            stale.append(path)
            if not args.check:
                path.write_text(text.replace(section, wanted), encoding="utf-8")
    for path in stale:
        verb = "differs from" if args.check else "rewritten from"
        print(f"{path}: settings section {verb} the plugin's --about", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
