"""A local server that follows GitHub's documented REST API for issues.

Written from GitHub's REST documentation (https://docs.github.com/en/rest/issues/issues,
.../issues/comments, .../repos/repos#get-a-repository, .../actions/workflows), not from what
any client expects. It serves, on a free loopback port, one repository:

- ``GET /repos/{owner}/{repo}``: ``private``, ``visibility``, ``pushed_at``, ``has_issues``.
- ``GET /repos/{owner}/{repo}/issues``: ``state`` (open, closed, all; default open),
  ``labels`` (comma-separated, all must match), ``per_page`` (max 100, default 30), ``page``,
  a ``Link`` header for the next page; pull requests are listed too (with ``pull_request``).
- ``POST /repos/{owner}/{repo}/issues``: 201; ``title`` required (422 otherwise); labels
  that do not exist yet are created; 410 when the repository has issues turned off.
- ``PATCH /repos/{owner}/{repo}/issues/{number}``: ``title``, ``body``, ``state``,
  ``state_reason`` (``completed``, ``not_planned``, ``reopened``).
- ``GET``/``POST /repos/{owner}/{repo}/issues/{number}/comments``: 201 on create.
- ``POST /repos/{owner}/{repo}/actions/workflows/{id}/dispatches``: 204 (``ref`` required).

Authentication is ``Authorization: Bearer <token>`` (or ``token <token>``). A token carries
permissions like a GitHub Actions ``GITHUB_TOKEN`` (``issues: read|write``, ``actions``):
missing or unknown tokens get 401 ``Bad credentials`` (reads of a public repository work
without one), a token lacking a permission gets 403 ``Resource not accessible by
integration``. Error bodies are ``{"message": ..., "documentation_url": ...}``.

Python API::

    with GitHubServer(private=False) as github:    # or the ``github_server`` fixture
        token = github.issue_token("write")        # a GITHUB_TOKEN with issues: write
        github.env(token)                          # GITHUB_API_URL, GITHUB_REPOSITORY, ...
        github.issues                              # what the repository holds
        github.requests                            # the request log, for assertions
"""

from __future__ import annotations

import json
import secrets
import threading
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

from testkit.loopback import LoopbackServer, QuietHandler, Reply

DOCS = "https://docs.github.com/rest"
MAX_PER_PAGE = 100


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Comment:
    id: int
    body: str
    created_at: str = field(default_factory=_now)


@dataclass
class Issue:
    number: int
    title: str
    body: str | None
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    comments: list[Comment] = field(default_factory=list)
    pull_request: bool = False
    created_at: str = field(default_factory=_now)
    closed_at: str | None = None


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: t.Any
    status: int = 0


class GitHubServer(LoopbackServer):
    """GitHub's REST API for one repository, on a loopback port bound at construction."""

    def __init__(
        self,
        *,
        owner: str = "listener",
        repo: str = "spotify-history",
        private: bool = True,
        pushed_at: str = "2026-11-20T10:00:00Z",
        has_issues: bool = True,
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.private = private
        self.pushed_at = pushed_at
        self.has_issues = has_issues
        self.issues: dict[int, Issue] = {}
        self.labels: set[str] = {"bug", "enhancement"}
        self.dispatches: list[dict[str, t.Any]] = []
        self.requests: list[LoggedRequest] = []
        self._tokens: dict[str, dict[str, str]] = {}
        self._next_id = 1000
        self._lock = threading.RLock()
        super().__init__(_Handler)

    # -- lifecycle and setup ------------------------------------------------------------------

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    def issue_token(self, issues: str | None = "write", actions: str | None = None) -> str:
        """A token with the given permissions (None: no access), like a GITHUB_TOKEN."""
        token = f"ghs_{secrets.token_urlsafe(27)}"
        self._tokens[token] = {k: v for k, v in {"issues": issues, "actions": actions}.items() if v}
        return token

    def env(self, token: str | None) -> dict[str, str]:
        """The variables GitHub Actions sets in a job (and the token passed explicitly)."""
        env = {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": self.repository}
        if token:
            env["GITHUB_TOKEN"] = token
        return env

    def open_issues(self) -> list[Issue]:
        return [i for i in self.issues.values() if i.state == "open" and not i.pull_request]

    def add_pull_request(self, title: str, labels: list[str]) -> None:
        """A pull request: the issues list shows it, with a ``pull_request`` key."""
        with self._lock:
            number = len(self.issues) + 1
            self.issues[number] = Issue(number, title, "", labels, pull_request=True)

    def writes(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.method in {"POST", "PATCH", "PUT", "DELETE"}]

    # -- representations ---------------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.url}/repos/{self.repository}{path}"

    def _issue_json(self, issue: Issue) -> dict[str, t.Any]:
        data = {
            "id": 10_000 + issue.number,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "labels": [{"name": name, "default": False} for name in issue.labels],
            "comments": len(issue.comments),
            "url": self._api(f"/issues/{issue.number}"),
            "html_url": f"https://github.com/{self.repository}/issues/{issue.number}",
            "user": {"login": "github-actions[bot]", "type": "Bot"},
            "created_at": issue.created_at,
            "updated_at": _now(),
            "closed_at": issue.closed_at,
        }
        if issue.pull_request:
            data["pull_request"] = {"url": self._api(f"/pulls/{issue.number}")}
        return data

    def _comment_json(self, issue: Issue, comment: Comment) -> dict[str, t.Any]:
        return {
            "id": comment.id,
            "body": comment.body,
            "created_at": comment.created_at,
            "html_url": f"https://github.com/{self.repository}/issues/{issue.number}"
            f"#issuecomment-{comment.id}",
            "user": {"login": "github-actions[bot]", "type": "Bot"},
        }

    # -- dispatch ----------------------------------------------------------------------------

    def _permission(self, request: LoggedRequest, scope: str, level: str) -> Reply | None:
        """None when the request may go on; else the error GitHub answers."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            if level == "read" and not self.private:
                return None
            status = 401 if level == "write" else 404
            return _error(status, "Requires authentication" if status == 401 else "Not Found")
        if scheme.lower() not in {"bearer", "token"} or token not in self._tokens:
            return _error(401, "Bad credentials")
        granted = self._tokens[token].get(scope)
        if granted == "write" or (granted == "read" and level == "read"):
            return None
        if level == "read" and not self.private:
            return None
        return _error(403, "Resource not accessible by integration")

    def _dispatch(self, request: LoggedRequest) -> Reply:
        prefix = f"/repos/{self.repository}"
        if not request.path.startswith(prefix):
            return _error(404, "Not Found")
        path = request.path[len(prefix) :]
        parts = [part for part in path.split("/") if part]
        if request.method == "GET" and not parts:
            return self._get_repository(request)
        if parts[:1] == ["issues"]:
            return self._issues(request, parts[1:])
        if parts[:2] == ["actions", "workflows"] and parts[3:] == ["dispatches"]:
            return self._dispatch_workflow(request, parts[2])
        return _error(404, "Not Found")

    def _get_repository(self, request: LoggedRequest) -> Reply:
        header = request.headers.get("authorization", "")
        if header and header.partition(" ")[2] not in self._tokens:
            return _error(401, "Bad credentials")
        if not header and self.private:
            return _error(404, "Not Found")
        return Reply(
            200,
            {
                "id": 1,
                "name": self.repo,
                "full_name": self.repository,
                "owner": {"login": self.owner},
                "private": self.private,
                "visibility": "private" if self.private else "public",
                "pushed_at": self.pushed_at,
                "default_branch": "main",
                "has_issues": self.has_issues,
            },
        )

    def _issues(self, request: LoggedRequest, parts: list[str]) -> Reply:
        write = request.method in {"POST", "PATCH"}
        denied = self._permission(request, "issues", "write" if write else "read")
        if denied:
            return denied
        if not self.has_issues:
            return _error(410, "Issues are disabled for this repo")
        if not parts:
            if request.method == "GET":
                return self._list_issues(request)
            if request.method == "POST":
                return self._create_issue(request)
        with self._lock:
            issue = self.issues.get(int(parts[0])) if parts[0].isdigit() else None
        if issue is None:
            return _error(404, "Not Found")
        if len(parts) == 1 and request.method == "GET":
            return Reply(200, self._issue_json(issue))
        if len(parts) == 1 and request.method == "PATCH":
            return self._update_issue(request, issue)
        if parts[1:] == ["comments"] and request.method == "GET":
            return Reply(200, [self._comment_json(issue, c) for c in issue.comments])
        if parts[1:] == ["comments"] and request.method == "POST":
            body = request.body if isinstance(request.body, dict) else {}
            if not isinstance(body.get("body"), str):
                return _validation_failed("body")
            with self._lock:
                self._next_id += 1
                comment = Comment(self._next_id, body["body"])
                issue.comments.append(comment)
            return Reply(201, self._comment_json(issue, comment))
        return _error(404, "Not Found")

    def _list_issues(self, request: LoggedRequest) -> Reply:
        query = request.query
        state = query.get("state", "open")
        if state not in {"open", "closed", "all"}:
            return _validation_failed("state")
        wanted = [label for label in query.get("labels", "").split(",") if label]
        per_page = min(int(query.get("per_page", 30)), MAX_PER_PAGE)
        page = int(query.get("page", 1))
        with self._lock:
            matching = [
                issue
                for issue in sorted(self.issues.values(), key=lambda i: -i.number)
                if (state == "all" or issue.state == state)
                and all(label in issue.labels for label in wanted)
            ]
        chunk = matching[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(matching):
            next_query = urlencode({**query, "page": page + 1})
            headers["Link"] = f'<{self._api("/issues")}?{next_query}>; rel="next"'
        return Reply(200, [self._issue_json(issue) for issue in chunk], headers)

    def _create_issue(self, request: LoggedRequest) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        if not isinstance(body.get("title"), str) or not body["title"]:
            return _validation_failed("title")
        labels = [str(label) for label in body.get("labels") or []]
        with self._lock:
            self.labels.update(labels)  # GitHub creates labels that do not exist yet
            number = len(self.issues) + 1
            issue = Issue(number, body["title"], body.get("body"), labels)
            self.issues[number] = issue
        return Reply(201, self._issue_json(issue))

    def _update_issue(self, request: LoggedRequest, issue: Issue) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        state = body.get("state")
        if state not in {None, "open", "closed"}:
            return _validation_failed("state")
        reason = body.get("state_reason")
        if reason not in {None, "completed", "not_planned", "reopened"}:
            return _validation_failed("state_reason")
        with self._lock:
            if "title" in body:
                issue.title = body["title"]
            if "body" in body:
                issue.body = body["body"]
            if state == "closed" and issue.state == "open":
                issue.state, issue.closed_at = "closed", _now()
                issue.state_reason = reason or "completed"
            elif state == "open" and issue.state == "closed":
                issue.state, issue.closed_at, issue.state_reason = "open", None, "reopened"
        return Reply(200, self._issue_json(issue))

    def _dispatch_workflow(self, request: LoggedRequest, workflow: str) -> Reply:
        denied = self._permission(request, "actions", "write")
        if denied:
            return denied
        body = request.body if isinstance(request.body, dict) else {}
        if not isinstance(body.get("ref"), str):
            return _validation_failed("ref")
        self.dispatches.append({"workflow": workflow, **body})
        return Reply(204, None)


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"message": message, "documentation_url": DOCS, "status": str(status)})


def _validation_failed(field_name: str) -> Reply:
    return Reply(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "code": "invalid", "field": field_name}],
            "documentation_url": DOCS,
        },
    )


class _Handler(QuietHandler):
    server_version = "GitHubContract/1.0"

    def _serve(self) -> None:
        contract: GitHubServer = self.server.contract  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = LoggedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        with contract._lock:
            contract.requests.append(request)
        if raw and body is None:
            reply = _error(400, "Problems parsing JSON")
        else:
            reply = contract._dispatch(request)
        request.status = reply.status
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        headers = {"X-GitHub-Api-Version-Selected": "2022-11-28", **reply.headers}
        self.reply(reply.status, payload, "application/json; charset=utf-8", headers)
