"""Dead-man pings (healthchecks.io's Pinging API) around a sync run.

`<url>/start` before the run, `<url>` after a success, `<url>/fail` after a failure, each with
the same run ID (`rid`) so the service pairs them and measures the run. The service alerts the
owner when no success arrives in time, which is the one alert that works when GitHub stops
starting runs at all. A ping must never break the sync: it is retried a few times, then given
up with a warning. The ping URL is a secret (anyone holding it can report for the check), so
messages name its setting, never its value.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
import uuid

SETTING = "SYNC_ALERTS_PING_URL"
TRIES = 3
TIMEOUT_SECONDS = 10
RETRY_WAIT_SECONDS = 1.0
SIGNALS = {"start": "/start", "success": "", "fail": "/fail"}


def run_id(seed: str | None = None) -> str:
    """A run ID for `rid`: derived from `seed` (the same in every step of one run), else new."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed) if seed else uuid.uuid4())


def ping(url: str | None, signal: str, rid: str, log: str = "") -> bool:
    """Send `signal` (start, success, fail) to the check at `url`; False if it never arrived.

    Without a URL nothing is sent (the dead-man check is optional) and True is returned.
    """
    if not url:
        return True
    target = f"{url.rstrip('/')}{SIGNALS[signal]}?rid={rid}"
    data = log.encode()[:100_000] if log else None
    problem = ""
    for attempt in range(TRIES):
        request = urllib.request.Request(target, data=data, method="POST" if data else "GET")  # noqa: S310 - the URL is a setting
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):  # noqa: S310
                return True
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code}"
            if error.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            problem = type(getattr(error, "reason", error)).__name__
        if attempt < TRIES - 1:
            time.sleep(RETRY_WAIT_SECONDS)
    print(
        f"Warning: the {signal} ping to {SETTING} did not arrive ({problem}); the sync goes on.",
        file=sys.stderr,
    )
    return False
