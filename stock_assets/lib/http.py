"""Fetch a listing page or file as text: `requests` with a timeout, retries and a User-Agent.

Why one fetcher: every scraper needs the same manners (identify ourselves, give up after a
timeout, retry what is transient) and the same failure shape (`CodedError(SCRAPE_HTTP)`),
and `file://` URLs (mirrors, offline runs, tests) must work exactly like `https://` ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.retry import RetryPolicy, retry

USER_AGENT = "stock_assets/0.1 (listing scraper; a Dagster data pipeline; contact: data-platform)"
DEFAULT_TIMEOUT_SECONDS = 30.0
# Three retries after the first attempt; listing sources are small and change once a day.
DEFAULT_POLICY = RetryPolicy(schedule=(2.0, 5.0, 15.0), jitter=0.2)


class _Transient(Exception):
    """A failure worth retrying: timeout, connection error, 429 or 5xx."""


def fetch_text(
    url: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """The body of `url` as text (UTF-8, undecodable bytes replaced).

    Raises CodedError(SCRAPE_HTTP) for a missing file, a 4xx, or a transient failure that
    outlasted the retries; the message names the URL and the last cause.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return _read_file(url, Path(unquote(parsed.path)))
    if parsed.scheme not in ("http", "https"):
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: unsupported URL scheme {parsed.scheme!r} "
                         "(use https://, http:// or file://)")
    attempts = 0

    def once() -> str:
        nonlocal attempts
        attempts += 1
        return _get(url, timeout)

    try:
        return retry(once, policy, lambda err: isinstance(err, _Transient), sleep=sleep)
    except _Transient as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: {err} (gave up after {attempts} attempts)") from err


def _read_file(url: str, path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: cannot read {path}: {err.strerror or err}") from err


def _get(url: str, timeout: float) -> str:
    try:
        response = requests.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.Timeout as err:
        raise _Transient(f"timed out after {timeout:g}s") from err
    except requests.ConnectionError as err:
        raise _Transient(f"connection failed: {err}") from err
    except requests.RequestException as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: request failed: {err}") from err
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}")
    if status >= 400:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: HTTP {status} (not retried: the URL is wrong "
                         "or the page moved; check the URL setting)")
    return response.content.decode("utf-8", errors="replace")
