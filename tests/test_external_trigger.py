"""The README's external trigger: its exact request starts the sync workflow, with the
permission it names and no other, and sends only inputs the workflow declares."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def documented_request() -> tuple[str, dict[str, str], dict]:
    """Path, headers and body of the curl command in the README's "Run on time"."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Run on time") :]
    curl = section[section.index("curl ") : section.index("```", section.index("curl "))]
    headers = dict(header.split(": ", 1) for header in re.findall(r'-H "([^"]+)"', curl))
    url = re.search(r"(https://api\.github\.com\S+)", curl).group(1)
    body = json.loads(re.search(r"-d '([^']+)'", curl).group(1))
    return url.removeprefix("https://api.github.com"), headers, body


def send(github_server, path: str, headers: dict[str, str], body: dict, token: str) -> int:
    path = path.replace("<you>/<repo>", github_server.repository)
    request = urllib.request.Request(
        github_server.url + path,
        data=json.dumps(body).encode(),
        headers={**headers, "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_documented_request_dispatches_the_sync_workflow_with_actions_write(github_server):
    path, headers, body = documented_request()

    status = send(github_server, path, headers, body, github_server.issue_token(None, "write"))

    assert status == 204
    assert github_server.dispatches == [
        {"workflow": "sync.yml", "ref": "main", "inputs": {"trigger": "cron-job.org"}}
    ]


@pytest.mark.parametrize(("issues", "actions"), [("write", None), (None, "read")])
def test_a_token_without_actions_write_is_refused(github_server, issues, actions):
    path, headers, body = documented_request()

    status = send(github_server, path, headers, body, github_server.issue_token(issues, actions))

    assert status == 403
    assert github_server.dispatches == []


def test_the_documented_inputs_are_the_workflows_own():
    _path, _headers, body = documented_request()
    declared = yaml.safe_load((ROOT / ".github/workflows/sync.yml").read_text())[True][
        "workflow_dispatch"
    ]["inputs"]
    assert set(body["inputs"]) <= set(declared)
    assert body["ref"] == "main"
