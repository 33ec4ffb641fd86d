"""Alert decisions and messages: when to speak (crossings, throttling) and what to say.

Why pure and cursor-shaped: the alert sensors keep all their memory in their Dagster cursor
(a JSON string), so a daemon restart resumes exactly where it was and never resends; the
rules are tested here without a daemon, a clock or a network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

DEFAULT_THROTTLE_SECONDS = 3600.0
SEND, THROTTLED, QUIET = "send", "throttled", "quiet"
RED, OK = "red", "ok"


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

    @classmethod
    def load(cls, cursor: str | None) -> "AlertCursor":
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        return cls(red=list(raw.get("red", [])), sent=dict(raw.get("sent", {})), marks=dict(raw.get("marks", {})))

    def dump(self, now: float, window: float) -> str:
        """The cursor string; sends older than the window are forgotten (they no longer throttle)."""
        recent = {k: t for k, t in self.sent.items() if now - t < window}
        return json.dumps({"red": sorted(set(self.red)), "sent": recent, "marks": self.marks}, sort_keys=True)

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
