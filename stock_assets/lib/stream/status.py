"""The stream's heartbeat, its markets' hours, and the one rule for "the stream is stale".

Why here and pure: the streamer writes the heartbeat, and Dagster (the `stream_prices`
observation and `stream_staleness_sensor`) judges it; both must read the same fields and
apply the same rule, tested at chosen instants (never the real market's hours).

Stale means: while one of the stream's markets is open, no message has arrived for
`stale_after_seconds` (counted from the later of the last message and that market's open), or
the process has not rewritten its heartbeat for as long (dead, stopped or stuck).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

from stock_assets.lib.intraday import sessions

DEFAULT_STALE_AFTER_SECONDS = 180.0
DEFAULT_CALENDARS = ("XNYS",)
# States the streamer reports.
WAITING, CONNECTING, STREAMING, BACKOFF, STOPPED, GAVE_UP = (
    "waiting_for_open", "connecting", "streaming", "backoff", "stopped", "gave_up")


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass
class Heartbeat:
    """What the streamer says about itself, rewritten atomically every few seconds."""

    written_at: dt.datetime
    pid: int
    state: str
    connected: bool = False
    subscribed: int = 0  # symbols subscribed on the current connection
    symbols: int = 0  # symbols the stream is asked to follow
    calendars: tuple[str, ...] = DEFAULT_CALENDARS
    last_message_at: dt.datetime | None = None
    last_minute_written: dt.datetime | None = None
    reconnects: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # ticks added, late, duplicate, garbage kinds
    service: str | None = None  # the systemd unit it runs as, if any
    detail: str = ""  # what it waits for / why it is in this state

    def to_json(self) -> str:
        raw = asdict(self)
        for key in ("written_at", "last_message_at", "last_minute_written"):
            raw[key] = _iso(raw[key])
        raw["calendars"] = list(self.calendars)
        return json.dumps(raw, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Heartbeat:
        raw = json.loads(text)
        for key in ("written_at", "last_message_at", "last_minute_written"):
            raw[key] = _parse(raw.get(key))
        raw["calendars"] = tuple(raw.get("calendars") or DEFAULT_CALENDARS)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


def open_windows(calendars: tuple[str, ...] | list[str], now: dt.datetime) -> list[sessions.SessionWindow]:
    """The regular sessions (of `calendars`) open at `now` (aware)."""
    found = []
    for calendar in dict.fromkeys(calendars):
        for offset in (-1, 0, 1):  # a CME session dated tomorrow opens this evening
            window = sessions.window(calendar, now.astimezone(dt.UTC).date() + dt.timedelta(days=offset))
            if window is not None and window.contains(now):
                found.append(window)
                break
    return found


def next_open(calendars: tuple[str, ...] | list[str], now: dt.datetime, days: int = 10) -> dt.datetime | None:
    """The earliest session open after `now` among `calendars` (None if none within `days`)."""
    today = now.astimezone(dt.UTC).date()
    opens = []
    for calendar in dict.fromkeys(calendars):
        for offset in range(0, days + 2):
            window = sessions.window(calendar, today + dt.timedelta(days=offset))
            if window is not None and window.open > now:
                opens.append(window.open)
                break
    return min(opens) if opens else None


@dataclass(frozen=True)
class StreamStatus:
    in_hours: bool
    stale: bool
    reason: str
    message_age_seconds: float | None = None


def judge(heartbeat: Heartbeat | None, now: dt.datetime, stale_after_seconds: float = DEFAULT_STALE_AFTER_SECONDS,
          calendars: tuple[str, ...] | None = None) -> StreamStatus:
    """Is the stream stale at `now`? Outside its markets' hours it never is (with the reason)."""
    calendars = calendars or (heartbeat.calendars if heartbeat else DEFAULT_CALENDARS)
    windows = open_windows(calendars, now)
    if not windows:
        upcoming = next_open(calendars, now)
        when = f"; next open {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else ""
        return StreamStatus(False, False, f"outside market hours of {', '.join(calendars)}{when}")
    opened = min(w.open for w in windows)
    names = ", ".join(w.calendar for w in windows)
    if heartbeat is None:
        return StreamStatus(True, True, f"{names} open and no heartbeat: the stream has not run on this data dir")
    beat_age = (now - heartbeat.written_at).total_seconds()
    if beat_age > stale_after_seconds:
        return StreamStatus(True, True, f"{names} open and the stream process has not written its heartbeat for "
                                        f"{beat_age:.0f} s (last state {heartbeat.state}, pid {heartbeat.pid}): "
                                        "it is dead, stopped or stuck")
    since = max(opened, heartbeat.last_message_at or opened)
    age = (now - since).total_seconds()
    if age > stale_after_seconds:
        last = f"{heartbeat.last_message_at:%H:%M:%S} UTC" if heartbeat.last_message_at else "never"
        return StreamStatus(True, True, f"{names} open and no message for {age:.0f} s (last {last}; state "
                                        f"{heartbeat.state}{': ' + heartbeat.detail if heartbeat.detail else ''})",
                            age)
    return StreamStatus(True, False, f"{names} open; last message {age:.0f} s ago", age)
