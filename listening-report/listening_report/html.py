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
import re
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


PLACEHOLDER = re.compile("__(STYLE_HASH|SCRIPT_HASH|STYLE|SCRIPT|BODY|DATA)__")


def render(data: dict[str, t.Any], page: str = "report", body: str = "") -> str:
    """Return the page `page` (its assets `<page>.html`, `.css`, `.js`) showing `data`.

    `data` is embedded as JSON (the report's, as built by `report.build_report`, drawn by
    its script); `body` is HTML written by the caller (a year's page, which has no script).
    """
    data = {**data, "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    template = _asset(f"{page}.html")
    style = _asset(f"{page}.css")
    script = _asset(f"{page}.js") if "__SCRIPT__" in template else ""
    values = {
        "STYLE_HASH": _csp_hash(style),
        "SCRIPT_HASH": _csp_hash(script),
        "STYLE": style,
        "SCRIPT": script,
        "BODY": body,
        "DATA": embed_json(data),
    }
    # One pass: nothing inserted (a track named __DATA__) is taken for a placeholder.
    return PLACEHOLDER.sub(lambda match: values[match[1]], template)


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
