"""Where alerts go: Telegram (Bot API sendMessage) and/or a generic JSON webhook, or the log only.

Why a resource with a live and an offline implementation: the sensors never know whether a
message leaves the machine; with no target configured (the default, the tests, CI) alerts
are logged only. A failing endpoint is logged and reported back, never raised: an alert
must not fail the pipeline it reports on.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass

import dagster as dg
import requests

from stock_assets.lib.alerting import DEFAULT_THROTTLE_SECONDS, Alert
from stock_assets.lib.retry import RetryPolicy, retry

DEFAULT_UI_BASE_URL = "http://localhost:3000"
TELEGRAM_API_BASE = "https://api.telegram.org"
TOKEN_ENV = "STOCK_ASSETS_TELEGRAM_TOKEN"
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
    throttle_seconds: float = DEFAULT_THROTTLE_SECONDS

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"

    @abstractmethod
    def send(self, alert: Alert, log: logging.Logger | None = None) -> list[Delivery]:
        """Deliver `alert`; never raises for a failing target (the Delivery says so)."""


class LoggingAlertSender(AlertSender):
    """Offline: the alert is written to the log (the sensor's tick log in the UI) and nowhere else."""

    def send(self, alert: Alert, log: logging.Logger | None = None) -> list[Delivery]:
        (log or _LOG).warning(f"ALERT (no target configured, logged only): {alert.text()}")
        return [Delivery("log", True, "logged only")]


class HttpAlertSender(AlertSender):
    """Live: Telegram's Bot API (`sendMessage`) and/or a generic webhook (JSON POST), via requests.

    Base URLs are config so a proxy, a self-hosted Bot API server or a test server can stand in.
    """

    telegram_token: str | None = None
    telegram_chat_id: str | None = None
    webhook_url: str | None = None
    telegram_api_base: str = TELEGRAM_API_BASE
    timeout_seconds: float = 5.0
    retry_delays: list[float] = [1.0]  # one retry a second later on a connection error, timeout or 5xx

    def send(self, alert: Alert, log: logging.Logger | None = None) -> list[Delivery]:
        log = log or _LOG
        deliveries = []
        if self.telegram_token and self.telegram_chat_id:
            url = f"{self.telegram_api_base.rstrip('/')}/bot{self.telegram_token}/sendMessage"
            body = {"chat_id": self.telegram_chat_id, "text": alert.text(), "disable_web_page_preview": True}
            deliveries.append(self._post("telegram", url, body, log))
        elif self.telegram_token or self.telegram_chat_id:
            log.warning("Telegram needs both STOCK_ASSETS_TELEGRAM_TOKEN and STOCK_ASSETS_TELEGRAM_CHAT_ID; "
                        "only one is set, so nothing was sent to Telegram")
        if self.webhook_url:
            deliveries.append(self._post("webhook", self.webhook_url, alert.payload(), log))
        if not deliveries:
            log.warning(f"ALERT (no usable target, logged only): {alert.text()}")
            deliveries.append(Delivery("log", True, "logged only"))
        return deliveries

    def _post(self, target: str, url: str, body: dict, log: logging.Logger) -> Delivery:
        def once() -> requests.Response:
            response = requests.post(url, json=body, timeout=self.timeout_seconds)
            if response.status_code >= 500:
                response.raise_for_status()
            return response

        try:
            response = retry(once, RetryPolicy(schedule=tuple(self.retry_delays), jitter=0.0), _retryable)
        except requests.RequestException as err:
            log.error(f"alert to {target} failed ({type(err).__name__}): {_redact(str(err), self.telegram_token)}")
            return Delivery(target, False, type(err).__name__)
        if not response.ok:
            log.error(f"alert to {target} refused: HTTP {response.status_code} {response.text[:200]}")
            return Delivery(target, False, f"HTTP {response.status_code}")
        log.info(f"alert sent to {target}: {body.get('title') or alert_first_line(body)}")
        return Delivery(target, True, f"HTTP {response.status_code}")


def alert_first_line(body: dict) -> str:
    return str(body.get("text", "")).split("\n", 1)[0]


def _retryable(err: BaseException) -> bool:
    if isinstance(err, requests.HTTPError):
        return err.response is not None and err.response.status_code >= 500
    return isinstance(err, (requests.ConnectionError, requests.Timeout))


def _redact(text: str, secret: str | None) -> str:
    """Error messages of requests quote the URL, and Telegram's URL holds the bot token."""
    return text.replace(secret, "<token>") if secret else text


def alert_sender(settings) -> AlertSender:
    """The live sender when any target is configured in the settings, else the logging one.

    The Telegram token is handed over as `dg.EnvVar` when it came from the environment, so the
    UI shows the variable's name, never the secret.
    """
    ui = settings.ui_base_url or DEFAULT_UI_BASE_URL
    if not (settings.telegram_token or settings.telegram_chat_id or settings.alert_webhook_url):
        return LoggingAlertSender(ui_base_url=ui)
    token = settings.telegram_token
    if token and os.environ.get(TOKEN_ENV) == token:
        token = dg.EnvVar(TOKEN_ENV)
    return HttpAlertSender(telegram_token=token, telegram_chat_id=settings.telegram_chat_id,
                           webhook_url=settings.alert_webhook_url, ui_base_url=ui)
