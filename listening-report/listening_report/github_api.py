"""The few GitHub REST calls the sync alerts make, with the standard library only.

Standard library only, so that the workflow's alert job (the one job allowed to write issues)
runs it with the runner's own `python3`, without installing anything.
"""

from __future__ import annotations

import json
import re
import typing as t
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')

JSON = dict[str, t.Any]


class GitHubError(Exception):
    """GitHub refused a request; the message says what to change, never the token."""


_ADVICE = {
    401: "the token is missing or invalid (GITHUB_TOKEN)",
    403: "the token lacks a permission: the job needs `permissions: issues: write` "
    "(reading needs `issues: read`)",
    404: "no such repository for this token (GITHUB_REPOSITORY)",
    410: "issues are turned off for this repository (Settings > General > Issues)",
}


class GitHubAPI:
    """Issues and repository metadata of one repository (`owner/name`)."""

    def __init__(self, api_url: str, repository: str, token: str | None) -> None:
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.repository = repository
        self._token = token

    def _call(
        self, method: str, path: str, body: JSON | None = None, *, url: str | None = None
    ) -> tuple[t.Any, str | None]:
        """One request; returns the decoded JSON and the next page's URL."""
        target = url or f"{self.api_url}/repos/{self.repository}{path}"
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "spotify-sync-alerts",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(target, data=data, headers=headers, method=method)  # noqa: S310 - the API URL is a setting
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read()
                link = response.headers.get("Link") or ""
        except urllib.error.HTTPError as error:
            raise GitHubError(self._describe(method, target, error)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            msg = f"GitHub API at {self.api_url} did not answer ({reason}); check GITHUB_API_URL."
            raise GitHubError(msg) from None
        match = _NEXT_LINK.search(link)
        return (json.loads(raw) if raw else None), (match.group(1) if match else None)

    def _describe(self, method: str, url: str, error: urllib.error.HTTPError) -> str:
        try:
            message = json.loads(error.read() or b"{}").get("message", "")
        except ValueError:
            message = ""
        advice = _ADVICE.get(error.code, "see GitHub's message")
        path = urlsplit(url).path
        return (
            f"GitHub answered {error.code} {message or error.reason} to {method} {path}: {advice}."
        )

    def repository_info(self) -> JSON:
        """`GET /repos/{owner}/{repo}`: visibility, pushed_at, ..."""
        return self._call("GET", "")[0]

    def open_issues(self, label: str) -> list[JSON]:
        """Open issues (not pull requests) with `label`, oldest first, every page."""
        query = urlencode({"state": "open", "labels": label, "per_page": 100})
        issues: list[JSON] = []
        url: str | None = f"{self.api_url}/repos/{self.repository}/issues?{query}"
        while url:
            page, url = self._call("GET", "", url=url)
            issues += [issue for issue in page if "pull_request" not in issue]
        return sorted(issues, key=lambda issue: issue["number"])

    def create_issue(self, title: str, body: str, labels: list[str]) -> JSON:
        """`POST /repos/{owner}/{repo}/issues` (GitHub creates a label that does not exist)."""
        return self._call("POST", "/issues", {"title": title, "body": body, "labels": labels})[0]

    def comment(self, number: int, body: str) -> JSON:
        """`POST /repos/{owner}/{repo}/issues/{number}/comments`."""
        return self._call("POST", f"/issues/{number}/comments", {"body": body})[0]

    def update_issue(self, number: int, fields: JSON) -> JSON:
        """`PATCH /repos/{owner}/{repo}/issues/{number}` (body, state, state_reason)."""
        return self._call("PATCH", f"/issues/{number}", fields)[0]
