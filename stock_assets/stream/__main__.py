"""`python -m stock_assets.stream [--symbols ...|--universe] [--url ...] [--data-dir ...] [--always]`.

Streams 1-minute prices of the universe (or a watchlist) into `<data>/lake/stream_prices/`
during its markets' hours; SIGTERM or Ctrl-C stops it cleanly (open minutes flushed). Exit
codes: 0 stopped, 1 bad arguments or nothing to stream or another stream running, 2 the
reconnect backoff gave up (a service manager restarts it). ADR 0027, docs/deployment.md.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from stock_assets.lib.stream.backoff import Backoff
from stock_assets.settings import Settings, SettingsError, _stream_symbols


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stock_assets.stream", description=__doc__.split("\n\n")[1])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--symbols", help="`futures`, a universe/source name, or a comma list of Yahoo symbols "
                                         "(default: STOCK_ASSETS_STREAM_SYMBOLS, else the universe)")
    which.add_argument("--universe", action="store_true", help="every active symbol of the universe")
    parser.add_argument("--url", help="the streamer's WebSocket URL (default: Yahoo's, as yfinance uses)")
    parser.add_argument("--data-dir", type=Path, help="default: STOCK_ASSETS_DATA_DIR")
    parser.add_argument("--always", action="store_true", help="stream whatever the market hours")
    parser.add_argument("--chunk-size", type=int, default=200, help="symbols per subscribe frame (200)")
    parser.add_argument("--receive-timeout", type=float, default=60.0,
                        help="seconds of silence that mean a dead connection: reconnect (60)")
    parser.add_argument("--max-attempts", type=int, default=30,
                        help="failed connections in a row before giving up with exit code 2 (30)")
    parser.add_argument("--heartbeat-seconds", type=float, default=5.0, help="how often the heartbeat is rewritten (5)")
    parser.add_argument("--backoff-cap", type=float, default=60.0, help="longest wait between attempts, s (60)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("stock_assets.stream")
    try:
        settings = Settings.from_env()
        spec = "universe" if args.universe else _stream_symbols(args.symbols) if args.symbols else settings.stream_symbols
    except SettingsError as err:
        log.error(str(err))
        return 1
    data_dir = args.data_dir.expanduser().resolve() if args.data_dir else settings.data_dir
    settings = Settings(**{**settings.__dict__, "data_dir": data_dir})

    from stock_assets.storage.stream_lake import StreamAlreadyRunning, StreamLake
    from stock_assets.stream import runner, symbols

    try:
        wanted = symbols.resolve(spec, settings)
    except symbols.NothingToStream as err:
        log.error(str(err))
        return 1
    config = runner.StreamConfig(url=args.url or runner.DEFAULT_URL, chunk_size=args.chunk_size,
                                 receive_timeout=args.receive_timeout, always=args.always,
                                 heartbeat_seconds=args.heartbeat_seconds,
                                 backoff=Backoff(max_attempts=args.max_attempts, cap_seconds=args.backoff_cap))
    streamer = runner.Streamer(StreamLake(data_dir), wanted, symbols.calendars(wanted, settings), config,
                               service=settings.stream_service, log=log)
    signal.signal(signal.SIGTERM, streamer.request_stop)
    signal.signal(signal.SIGINT, streamer.request_stop)
    try:
        return streamer.run()
    except StreamAlreadyRunning as err:
        log.error(str(err))
        return 1


if __name__ == "__main__":
    sys.exit(main())
