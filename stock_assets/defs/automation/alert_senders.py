"""Where alerts go: Telegram (Bot API sendMessage) and/or a generic JSON webhook, or the log only.

Why a resource with a live and an offline implementation: the sensors never know whether a
message leaves the machine; with no target configured (the default, the tests, CI) alerts
are logged only. A failing endpoint is logged and reported back, never raised: an alert
must not fail the pipeline it reports on.

Secrets: the Telegram token and the webhook URL (the URL itself is the credential: whoever has
it can post) are handed over as `dg.EnvVar` when they come from the environment, left out of
reprs, and replaced by `<secret>` in every logged error. Every POST goes through
`lib/http.request`: a whole answer within `deadline_seconds`, at most `MAX_ANSWER_BYTES`.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

import dagster as dg
import requests
from pydantic import Field, field_validator

from stock_assets.lib import config_checks, http
from stock_assets.lib.alerting import DEFAULT_THROTTLE_SECONDS, Alert
from stock_assets.lib.retry import RetryPolicy, retry

DEFAULT_UI_BASE_URL = "http://localhost:3000"
TELEGRAM_API_BASE = "https://api.telegram.org"
TOKEN_ENV = "STOCK_ASSETS_TELEGRAM_TOKEN"
WEBHOOK_ENV = "STOCK_ASSETS_ALERT_WEBHOOK_URL"
DEFAULT_DEADLINE_SECONDS = 15.0  # a whole answer of an alert endpoint, however it trickles in
MAX_ANSWER_BYTES = 64 * 1024  # an alert endpoint answers "ok"; anything past this is not read
_LOG = logging.getLogger("stock_assets.alerts")


@dataclass(frozen=True)
class Delivery:
    """What happened to one alert at one target."""

    target: str  # telegram | webhook | log
    ok: bool
    detail: str = ""


class AlertSender(dg.ConfigurableResource, ABC):
    """Sends an Alert somewhere; `ui_base_url` is where links to runs point (the Dagster UI).

    `throttle_seconds`: the alert sensors send at most one alert per key (a job, a check) per window.
    """

    ui_base_url: str = DEFAULT_UI_BASE_URL
    throttle_seconds: float = Field(default=DEFAULT_THROTTLE_SECONDS, ge=0)

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"

    @abstractmethod
    def send(self, alert: Alert, log: logging.Logger | None = None,
             targets: Collection[str] | None = None) -> list[Delivery]:
        """Deliver `alert` (only to `targets` when given: a retry); never raises for a failing target."""


class LoggingAlertSender(AlertSender):
    """Offline: the alert is written to the log (the sensor's tick log in the UI) and nowhere else."""

    def send(self, alert: Alert, log: logging.Logger | None = None,
             targets: Collection[str] | None = None) -> list[Delivery]:
        (log or _LOG).warning(f"ALERT (no target configured, logged only): {alert.text()}")
        return [Delivery("log", True, "logged only")]


class HttpAlertSender(AlertSender):
    """Live: Telegram's Bot API (`sendMessage`) and/or a generic webhook (JSON POST), via requests.

    Base URLs are config so a proxy, a self-hosted Bot API server or a test server can stand in.
    """

    telegram_token: str | None = Field(default=None, repr=False)
    telegram_chat_id: str | None = None
    webhook_url: str | None = Field(default=None, repr=False, description=(
        "A URL that accepts a JSON POST. A secret (whoever has it can post): set it through "
        "STOCK_ASSETS_ALERT_WEBHOOK_URL, so the UI shows the variable's name."))
    telegram_api_base: str = TELEGRAM_API_BASE
    timeout_seconds: float = Field(default=5.0, gt=0, description="Seconds for a connect or a read (0 would wait forever).")
    deadline_seconds: float = Field(default=DEFAULT_DEADLINE_SECONDS, gt=0, description=(
        "Seconds for an endpoint's whole answer, however it trickles in."))
    retry_delays: list[float] = [1.0]  # one retry a second later on a connection error, timeout or 5xx

    _delays = field_validator("retry_delays")(config_checks.non_negative_delays)

    def send(self, alert: Alert, log: logging.Logger | None = None,
             targets: Collection[str] | None = None) -> list[Delivery]:
        log = log or _LOG
        deliveries = []
        wanted = set(targets) if targets is not None else {"telegram", "webhook"}
        if self.telegram_token and self.telegram_chat_id and "telegram" in wanted:
            url = f"{self.telegram_api_base.rstrip('/')}/bot{self.telegram_token}/sendMessage"
            body = {"chat_id": self.telegram_chat_id, "text": alert.text(), "disable_web_page_preview": True}
            deliveries.append(self._post("telegram", url, body, log))
        elif (self.telegram_token or self.telegram_chat_id) and targets is None:
            log.warning("Telegram needs both STOCK_ASSETS_TELEGRAM_TOKEN and STOCK_ASSETS_TELEGRAM_CHAT_ID; "
                        "only one is set, so nothing was sent to Telegram")
        if self.webhook_url and "webhook" in wanted:
            deliveries.append(self._post("webhook", self.webhook_url, alert.payload(), log))
        if not deliveries:
            log.warning(f"ALERT (no usable target, logged only): {alert.text()}")
            deliveries.append(Delivery("log", True, "logged only"))
        return deliveries

    def _post(self, target: str, url: str, body: dict, log: logging.Logger) -> Delivery:
        def once() -> http.Answer:
            answer = http.request("POST", url, json=body, timeout=self.timeout_seconds,
                                  deadline=self.deadline_seconds, max_bytes=MAX_ANSWER_BYTES)
            if answer.status >= 500:
                raise _ServerError(f"HTTP {answer.status}")
            return answer

        secrets = _secrets(self.telegram_token, self.webhook_url)
        try:
            answer = retry(once, RetryPolicy(schedule=tuple(self.retry_delays), jitter=0.0), _retryable)
        except (requests.RequestException, _ServerError) as err:
            log.error(f"alert to {target} failed ({type(err).__name__}): {_redact(str(err), secrets)}")
            return Delivery(target, False, type(err).__name__ if not isinstance(err, _ServerError) else str(err))
        if not answer.ok:
            log.error(f"alert to {target} refused: HTTP {answer.status} {_redact(answer.text()[:200], secrets)}")
            return Delivery(target, False, f"HTTP {answer.status}")
        log.info(f"alert sent to {target}: {body.get('title') or alert_first_line(body)}")
        return Delivery(target, True, f"HTTP {answer.status}")


def alert_first_line(body: dict) -> str:
    return str(body.get("text", "")).split("\n", 1)[0]


class _ServerError(Exception):
    """The endpoint answered 5xx: worth one more try."""


def _retryable(err: BaseException) -> bool:
    return isinstance(err, (_ServerError, requests.ConnectionError, requests.Timeout))


def _secrets(token: str | None, webhook_url: str | None) -> list[str]:
    """What must never be logged: the token, the webhook URL, and its path and query on their own
    (requests' errors quote `url: /path?query` without the host)."""
    out = [token] if token else []
    if webhook_url:
        parts = urlsplit(webhook_url)
        out += [webhook_url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.query]
        out += [p for p in parts.path.split("/") if len(p) >= 8]  # a path piece long enough to be a key
    return sorted({s for s in out if s and s != "/"}, key=len, reverse=True)


def _redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by `<secret>`, longest first."""
    for secret in secrets:
        text = text.replace(secret, "<secret>")
    return text


def alert_sender(settings) -> AlertSender:
    """The live sender when any target is configured in the settings, else the logging one.

    The Telegram token and the webhook URL are handed over as `dg.EnvVar` when they came from
    the environment, so the UI shows the variable's name, never the secret.
    """
    ui = settings.ui_base_url or DEFAULT_UI_BASE_URL
    if not (settings.telegram_token or settings.telegram_chat_id or settings.alert_webhook_url):
        return LoggingAlertSender(ui_base_url=ui)
    return HttpAlertSender(telegram_token=_from_env(settings.telegram_token, TOKEN_ENV),
                           telegram_chat_id=settings.telegram_chat_id,
                           webhook_url=_from_env(settings.alert_webhook_url, WEBHOOK_ENV), ui_base_url=ui)


def _from_env(value: str | None, name: str):
    """`dg.EnvVar(name)` when `value` is what the environment holds under `name`, else `value`."""
    return dg.EnvVar(name) if value and os.environ.get(name) == value else value
