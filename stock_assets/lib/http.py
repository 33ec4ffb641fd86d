"""HTTP for scrapers and alert POSTs: one place for timeouts, an overall deadline and a size cap.

Why one fetcher: every scraper needs the same manners (identify ourselves, give up after a
timeout, retry what is transient) and the same failure shape (`CodedError(SCRAPE_HTTP)`),
and `file://` URLs (mirrors, offline runs, tests) must work exactly like `https://` ones.

Why a deadline and a cap on top of `requests`' timeout: that timeout bounds each read, not the
answer. A server sending one byte a second never trips it and stalls the run; an endless body
fills memory. `request()` reads the body itself, a piece at a time, and stops at whichever
comes first: `deadline` seconds for the whole answer, or `max_bytes` bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
import urllib3.exceptions

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.retry import RetryPolicy, retry

USER_AGENT = "stock_assets/0.1 (listing scraper; a Dagster data pipeline; contact: data-platform)"
DEFAULT_TIMEOUT_SECONDS = 30.0
# A whole listing answer (the largest, otherlisted.txt or the S&P 500 page, is ~1 MB) in this long.
DEFAULT_DEADLINE_SECONDS = 120.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_PIECE = 64 * 1024
# Three retries after the first attempt; listing sources are small and change once a day.
DEFAULT_POLICY = RetryPolicy(schedule=(2.0, 5.0, 15.0), jitter=0.2)


class _Transient(Exception):
    """A failure worth retrying: timeout, connection error, 429 or 5xx."""


class DeadlineExceeded(requests.Timeout):
    """The whole answer did not arrive within the deadline (bytes may have kept arriving)."""


class BodyTooLarge(requests.RequestException):
    """The answer is larger than the cap."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status < 400

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    method: str, url: str, *, timeout: float, deadline: float = DEFAULT_DEADLINE_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES, clock: Callable[[], float] = time.monotonic, **kwargs,
) -> Answer:
    """One HTTP request whose whole answer arrives within `deadline` s and `max_bytes` bytes.

    `timeout` still bounds each connect and each read, so the call returns at most one read
    timeout after the deadline. Raises DeadlineExceeded, BodyTooLarge, or requests' own errors.
    """
    until = clock() + deadline
    with requests.request(method, url, timeout=min(timeout, deadline), stream=True, **kwargs) as response:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes and response.status_code < 400:
            raise BodyTooLarge(f"the answer says it is {int(declared)} bytes, more than the cap of {max_bytes} bytes")
        pieces, size = [], 0
        while True:
            if clock() > until:
                raise DeadlineExceeded(f"the whole answer did not arrive within the deadline of {deadline:g}s "
                                       f"({size} bytes by then)")
            piece = _read_piece(response)
            if not piece:
                break
            size += len(piece)
            if size > max_bytes:
                raise BodyTooLarge(f"the answer is larger than the cap of {max_bytes} bytes")
            pieces.append(piece)
        return Answer(response.status_code, b"".join(pieces))


def _read_piece(response: requests.Response) -> bytes:
    """What has arrived of the body (at most one read timeout), urllib3's errors as requests' own.

    Reading `raw` bypasses requests' translation of urllib3 errors; done here so callers catch
    one family (requests.Timeout, requests.ConnectionError) as with any other request.
    """
    try:
        return response.raw.read1(_PIECE, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as err:
        raise requests.Timeout(f"read timed out: {err}") from err
    except urllib3.exceptions.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(str(err)) from err
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as err:
        raise requests.ConnectionError(f"connection broke while reading: {err}") from err


def fetch_text(
    url: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float = DEFAULT_DEADLINE_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """The body of `url` as text (UTF-8, undecodable bytes replaced).

    Raises CodedError(SCRAPE_HTTP) for a missing file, a 4xx, an answer past the deadline or
    the size cap (not retried: a server that slow or that large will not be different a few
    seconds later), or a transient failure that outlasted the retries; the message names the
    URL and the last cause.
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
        return _get(url, timeout, deadline, max_bytes)

    try:
        return retry(once, policy, lambda err: isinstance(err, _Transient), sleep=sleep)
    except _Transient as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: {err} (gave up after {attempts} attempts)") from err


def _read_file(url: str, path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: cannot read {path}: {err.strerror or err}") from err


def _get(url: str, timeout: float, deadline: float, max_bytes: int) -> str:
    try:
        response = request("GET", url, timeout=timeout, deadline=deadline, max_bytes=max_bytes,
                           headers={"User-Agent": USER_AGENT})
    except (DeadlineExceeded, BodyTooLarge) as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: {err} (not retried)") from err
    except requests.Timeout as err:
        raise _Transient(f"timed out after {timeout:g}s") from err
    except requests.ConnectionError as err:
        raise _Transient(f"connection failed: {err}") from err
    except requests.RequestException as err:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: request failed: {err}") from err
    status = response.status
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}")
    if status >= 400:
        raise CodedError(ErrorCode.SCRAPE_HTTP, f"{url}: HTTP {status} (not retried: the URL is wrong "
                         "or the page moved; check the URL setting)")
    return response.text()
