"""Write the report as one self-contained HTML file.

The page carries its data (JSON), style and script inline, and a Content Security
Policy that allows only those two inline blocks (by hash): it opens offline, and
the browser refuses any request the page might try to make.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import tempfile
import typing as t
from importlib.resources import files
from pathlib import Path

DATA_ELEMENT_ID = "report-data"
# Inside <script>, "</script" or "<!--" in a track name would end or bend the element.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _asset(name: str) -> str:
    return files("listening_report").joinpath("assets", name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def embed_json(data: t.Any) -> str:
    """Return `data` as JSON that is safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


def render(data: dict[str, t.Any]) -> str:
    """Return the report page showing `data` (as built by `report.build_report`)."""
    data = {**data, "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    style, script = _asset("report.css"), _asset("report.js")
    page = _asset("report.html")
    # Placeholders are replaced in one pass each; the data goes last so that
    # nothing inside it is taken for a placeholder.
    for placeholder, value in (
        ("__STYLE_HASH__", _csp_hash(style)),
        ("__SCRIPT_HASH__", _csp_hash(script)),
        ("__STYLE__", style),
        ("__SCRIPT__", script),
        ("__DATA__", embed_json(data)),
    ):
        page = page.replace(placeholder, value, 1)
    return page


def read_data(page: str) -> dict[str, t.Any]:
    """Return the data embedded in a report page (for tests and tools)."""
    start_tag = f'<script type="application/json" id="{DATA_ELEMENT_ID}">'
    start = page.index(start_tag) + len(start_tag)
    return json.loads(page[start : page.index("</script>", start)])


def write(page: str, output: Path) -> None:
    """Write `page` to `output` atomically: readers never see half a report."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
