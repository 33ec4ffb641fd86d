"""NASDAQ Trader files written by the tests: every variant the real files show, on demand."""

from __future__ import annotations

from pathlib import Path

HEADER_8 = "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares"
HEADER_6 = "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size"
OTHER_HEADER = "ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|Round Lot Size|Test Issue|NASDAQ Symbol"


def symbols(n: int, start: int = 0) -> list[str]:
    """`n` distinct plain symbols: AAA, AAB, ..."""
    out = []
    for i in range(start, start + n):
        out.append("A" + chr(65 + (i // 26) % 26) + chr(65 + i % 26))
    return out


def nasdaq_listed(syms: list[str], *, legacy: bool = False, crlf: bool = False, etfs: tuple[str, ...] = (),
                  test_issues: tuple[str, ...] = ("ZXZZT",), footer_pipes: int | None = None,
                  footer: bool = True) -> str:
    header = HEADER_6 if legacy else HEADER_8
    width = header.count("|") + 1
    lines = [header]
    for s in syms:
        fields = [s, f"{s} Corp - Common Stock", "Q", "N", "N", "100"]
        if not legacy:
            fields += ["Y" if s in etfs else "N", "N"]
        lines.append("|".join(fields))
    for s in test_issues:
        fields = [s, "NASDAQ TEST STOCK", "G", "Y", "N", "100"] + ([] if legacy else ["", "N"])
        lines.append("|".join(fields))
    if footer:
        pipes = width - 1 if footer_pipes is None else footer_pipes
        lines.append("File Creation Time: 0721202521:31" + "|" * pipes)
    eol = "\r\n" if crlf else "\n"
    return eol.join(lines) + eol


def other_listed(rows: list[tuple[str, str, str, str]], crlf: bool = False) -> str:
    """rows: (ACT symbol, exchange code, ETF Y/N, NASDAQ symbol)."""
    lines = [OTHER_HEADER]
    for act, exch, etf, nasdaq in rows:
        lines.append("|".join([act, f"{act} Inc. Common Stock", exch, act, etf, "100", "N", nasdaq]))
    lines.append("ZVZZT|NYSE TEST STOCK|N|ZVZZT|N|100|Y|ZVZZT")
    lines.append("File Creation Time: 0721202521:31||||||")
    eol = "\r\n" if crlf else "\n"
    return eol.join(lines) + eol


def write(path: Path, text: str) -> str:
    """Write `text` (bytes as given, line endings kept) and return its file:// URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path.resolve().as_uri()
