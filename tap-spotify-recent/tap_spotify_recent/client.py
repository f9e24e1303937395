"""The base stream for Spotify's Web API: base URL, authentication, errors and retries."""

from __future__ import annotations

import logging
import sys
import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams import RESTStream, Stream
from typing_extensions import override

from tap_spotify_recent.auth import SpotifyAuthenticator
from tap_spotify_recent.errors import TapError, forbidden_error, json_object, spotify_message

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context

REQUEST_TIMEOUT_SECONDS = 30
SDK_SYNC_FAILED = "An unhandled error occurred while syncing '%s'"
BACKOFF_GAVE_UP = "Giving up %s(...) after %d tries"


class AccessTokenRejectedError(RetriableAPIError):
    """A 401: retried once, at once, with a freshly refreshed access token."""


class _ExplainedFailures(logging.Filter):
    """Drops the SDK's and backoff's own lines about a failure the tap explains in one line.

    The SDK logs "An unhandled error occurred while syncing" before re-raising any error, and
    backoff logs "Giving up" when retries run out (``request_records`` then explains).
    """

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == SDK_SYNC_FAILED:
            return not isinstance(sys.exc_info()[1], TapError)
        return not str(record.msg).startswith(BACKOFF_GAVE_UP)


_EXPLAINED_FAILURES = _ExplainedFailures()


class TapStream(Stream):
    """A stream of this tap: an expected failure (TapError) is reported once, by the CLI."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(_EXPLAINED_FAILURES)  # once per logger: the filter is one object


class SpotifyStream(TapStream, RESTStream):
    """A stream read from ``{api_url}`` with a Bearer token from the refresh-token grant."""

    _retried_after_401 = False

    @property
    @override
    def url_base(self) -> str:
        """The ``api_url`` setting."""
        return self.config["api_url"].rstrip("/")

    @property
    @override
    def timeout(self) -> int:
        """Seconds to wait for Spotify: a run every 10 minutes must not hang for 5."""
        return REQUEST_TIMEOUT_SECONDS

    @cached_property
    @override
    def authenticator(self) -> SpotifyAuthenticator:
        """Access tokens from the refresh-token grant at ``token_url``."""
        return SpotifyAuthenticator(
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            refresh_token=self.config["refresh_token"],
            token_url=self.config["token_url"],
        )

    @override
    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        """Prepare the request without authenticating it.

        The SDK authenticates again inside the retry loop (``_request``); doing it only there
        means a token-endpoint hiccup is retried like an API one.
        """
        request = requests.Request(*args, **kwargs)
        headers = dict(request.headers)
        headers.setdefault("User-Agent", self.user_agent)
        request.headers = headers
        return self.requests_session.prepare_request(request)

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Sort Spotify's answers into retried, refreshed-and-retried and explained failures."""
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            self._retried_after_401 = False
            self.answer(response)
            return
        message = spotify_message(response)
        if status == HTTPStatus.UNAUTHORIZED:
            if self._retried_after_401:
                msg = (
                    f"Spotify rejected a freshly refreshed access token ({message}). Check that "
                    "client_id is the app the refresh_token was issued to."
                )
                raise TapError(msg)
            self._retried_after_401 = True
            self.authenticator.invalidate()
            raise AccessTokenRejectedError(self.response_error_message(response), response)
        if status == HTTPStatus.FORBIDDEN:
            raise forbidden_error(message)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            limit = self.config["max_retry_after_seconds"]
            if (wait := _retry_after(response, default=0)) > limit:
                msg = (
                    f"Spotify rate-limited the app and asks to wait {wait:g} "
                    f"seconds, more than max_retry_after_seconds ({limit}). Stopping; the next "
                    "run picks up every play that is still among the last 50."
                )
                raise TapError(msg)
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        msg = f"Spotify answered {self.response_error_message(response)}. Check api_url."
        raise TapError(msg)

    def answer(self, response: requests.Response) -> dict[str, t.Any]:
        """The JSON object of a successful answer; anything else points at ``api_url``."""
        return json_object(response, setting="api_url", expected="Spotify's Web API")

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """Status, path and Spotify's message: no headers, no query, nothing secret."""
        path = urlparse(response.url).path
        return f"{response.status_code} {response.reason} for {path} ({spotify_message(response)})"

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        """Request records; once retries are used up, explain instead of a traceback."""
        try:
            yield from super().request_records(context)
        except (RetriableAPIError, requests.RequestException, ConnectionResetError) as exc:
            reason = exc.args[0] if isinstance(exc, RetriableAPIError) else type(exc).__name__
            msg = (
                f"Spotify did not answer after {self.backoff_max_tries()} tries (last: {reason}). "
                "Nothing is lost: the next run picks up every play that is still among the "
                "last 50."
            )
            raise TapError(msg) from None

    # Retries: the SDK's backoff hooks, fed with what Spotify says.

    @override
    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """Wait ``Retry-After`` on 429, nothing before retrying a refreshed token, else back off.

        The backoff library sends each failure in and sleeps for what this yields.
        """
        base = float(self.config["backoff_base_seconds"])
        longest = float(self.config["max_retry_after_seconds"])
        failures = 0
        exception = yield 0  # primed by the backoff library; this first value is discarded
        while True:
            response = getattr(exception, "response", None)
            if isinstance(exception, AccessTokenRejectedError):
                wait = 0.0
            elif response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                wait = min(_retry_after(response, default=base), longest)
            else:
                wait = base * 2**failures
                failures += 1
            exception = yield wait

    @override
    def backoff_max_tries(self) -> int:
        """The ``request_max_tries`` setting."""
        return int(self.config["request_max_tries"])

    @override
    def backoff_jitter(self, value: float) -> float:
        """No jitter: ``Retry-After`` must be honoured as given, and one user has no herd."""
        return value

    @override
    def backoff_handler(self, details: Details) -> None:
        """Log one line per retry, without request details."""
        exception = details.get("exception")
        reason = exception.args[0] if isinstance(exception, RetriableAPIError) else exception
        self.log(
            "Retrying in %.1f s (try %d of %d failed: %s)",
            details.get("wait"),
            details.get("tries"),
            self.backoff_max_tries(),
            reason if isinstance(reason, str) else type(reason).__name__,
            level=logging.WARNING,
        )


def _retry_after(response: requests.Response, default: float) -> float:
    """Spotify's ``Retry-After`` header, in seconds."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return default
