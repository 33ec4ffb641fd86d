"""Alert decisions and messages: when to speak (crossings, throttling) and what to say.

Why pure and cursor-shaped: the alert sensors keep all their memory in their Dagster cursor
(a JSON string), so a daemon restart resumes exactly where it was and never resends; the
rules are tested here without a daemon, a clock or a network.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

DEFAULT_THROTTLE_SECONDS = 3600.0
SEND, THROTTLED, QUIET = "send", "throttled", "quiet"
RED, OK = "red", "ok"
# An alert whose delivery failed is tried again on later ticks, this many tries in all (the
# first included); then it is recorded as lost. Ticks are >= 30 s apart, so ~2 min of outage.
MAX_DELIVERY_ATTEMPTS = 4
MAX_LOST_KEPT = 20  # the newest lost alerts kept in the cursor (the sensor's tick log has them all)

# WARN findings that reach an alert (docs/alerts.md, "Which WARN findings alert"):
LAG_ALERT_SHARE = 0.05  # lagging symbols over this share of the universe
LATENCY_ALERT_FACTOR = 2.0  # API latency p95 over this many times its threshold


def _number(metadata: dict, key: str) -> float | None:
    value = metadata.get(key)
    value = getattr(value, "value", value)  # a Dagster MetadataValue or a plain number
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def warn_escalation(check_name: str, metadata: dict) -> str | None:
    """Why a failed WARN check is alerted like a red one, or None (it stays yellow, unalerted).

    Policy: `lag` alerts when more than 5 % of the universe lags (one lagging symbol is a
    delisting on its way; a twentieth of the universe is a fetch that is failing); `fetch_errors`
    alerts when the API latency p95 is over twice its threshold (Yahoo throttling hard).
    """
    if check_name == "lag":
        lagging, universe = _number(metadata, "lagging_symbols"), _number(metadata, "universe_symbols")
        if lagging is not None and universe and lagging / universe > LAG_ALERT_SHARE:
            return (f"{int(lagging)} of {int(universe)} symbols lag ({lagging / universe:.1%}), over the "
                    f"{LAG_ALERT_SHARE:.0%} of the universe that alerts")
    if check_name == "fetch_errors":
        p95, limit = _number(metadata, "worst_latency_p95_ms"), _number(metadata, "max_latency_p95_ms")
        if p95 is not None and limit and p95 > LATENCY_ALERT_FACTOR * limit:
            return f"API latency p95 {p95:.0f} ms, over {LATENCY_ALERT_FACTOR:g}x its threshold of {limit:.0f} ms"
    return None


@dataclass(frozen=True)
class Alert:
    """One thing to tell people: what failed, where, how much, and where to look."""

    key: str  # the throttle key: "run:<job>" or "check:<asset>:<check>"
    title: str
    details: str
    partition: str | None = None
    rows: int | None = None
    run_id: str | None = None
    url: str | None = None
    kind: str = "run_failure"  # run_failure | check_failure

    def text(self) -> str:
        """The plain-text message (Telegram, logs): one fact per line."""
        lines = [f"\N{LARGE RED CIRCLE} {self.title}", self.details]
        if self.partition:
            lines.append(f"partition: {self.partition}")
        if self.rows is not None:
            lines.append(f"rows: {self.rows}")
        if self.run_id:
            lines.append(f"run: {self.run_id}")
        if self.url:
            lines.append(self.url)
        return "\n".join(line for line in lines if line)

    def as_dict(self) -> dict:
        return asdict(self)

    def payload(self) -> dict:
        """The generic webhook's JSON body: every field, plus `text` for chat-style receivers."""
        return {
            "source": "stock_assets", "kind": self.kind, "key": self.key, "title": self.title,
            "details": self.details, "partition": self.partition, "rows": self.rows,
            "run_id": self.run_id, "url": self.url, "text": self.text(),
        }


@dataclass
class AlertCursor:
    """A sensor's memory: which keys are red, when each key last alerted, and its read marks."""

    red: list[str] = field(default_factory=list)
    sent: dict[str, float] = field(default_factory=dict)
    marks: dict = field(default_factory=dict)
    pending: list[dict] = field(default_factory=list)  # {"alert": {...}, "targets": [...], "attempts": n}
    lost: list[dict] = field(default_factory=list)  # alerts given up on: key, title, run_id, attempts, at

    @classmethod
    def load(cls, cursor: str | None) -> "AlertCursor":
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        return cls(red=list(raw.get("red", [])), sent=dict(raw.get("sent", {})), marks=dict(raw.get("marks", {})),
                   pending=list(raw.get("pending", [])), lost=list(raw.get("lost", [])))

    def dump(self, now: float, window: float) -> str:
        """The cursor string; sends older than the window are forgotten (they no longer throttle)."""
        recent = {k: t for k, t in self.sent.items() if now - t < window}
        return json.dumps({"red": sorted(set(self.red)), "sent": recent, "marks": self.marks,
                           "pending": self.pending, "lost": self.lost[-MAX_LOST_KEPT:]}, sort_keys=True)

    def after_delivery(self, alert: Alert, failed_targets: list[str], attempts: int, now: float) -> str:
        """Record the outcome of delivery try number `attempts`: "delivered", "pending" or "lost".

        Why: a failed delivery used to count as sent, and the alert was gone. Now it is tried
        again on later ticks (only at the targets that failed), up to MAX_DELIVERY_ATTEMPTS.
        """
        if not failed_targets:
            return "delivered"
        if attempts < MAX_DELIVERY_ATTEMPTS:
            self.pending.append({"alert": alert.as_dict(), "targets": list(failed_targets), "attempts": attempts})
            return "pending"
        self.lost.append({"key": alert.key, "title": alert.title, "run_id": alert.run_id,
                          "targets": list(failed_targets), "attempts": attempts, "at": now})
        return "lost"

    def take_pending(self) -> list[tuple[Alert, list[str], int]]:
        """The alerts waiting for another try (removed: `after_delivery` puts back what fails again)."""
        due = [(Alert(**p["alert"]), list(p["targets"]), int(p["attempts"])) for p in self.pending]
        self.pending = []
        return due

    def _throttle(self, key: str, now: float, window: float) -> str:
        last = self.sent.get(key)
        if last is not None and now - last < window:
            return THROTTLED
        self.sent[key] = now
        return SEND

    def on_status(self, key: str, is_red: bool, now: float, window: float) -> str:
        """A new evaluation of a status-like key (a check): SEND only on crossing into red, unthrottled."""
        was_red = key in self.red
        if not is_red:
            if was_red:
                self.red.remove(key)
            return QUIET
        if was_red:
            return QUIET
        self.red.append(key)
        return self._throttle(key, now, window)

    def on_event(self, key: str, now: float, window: float) -> str:
        """A one-off failure (a run): SEND unless the same key alerted within the window."""
        return self._throttle(key, now, window)
