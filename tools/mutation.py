"""Mutation testing of the modules that hold the rules: does the fast suite notice a one-token bug?

Why our own runner and not mutmut: no new dependency, and the project needs two things a
generic tool does badly here: each module is tested by the few fast test files that exercise
it (MAP below), not by the 11-minute suite, and the process that runs the tests is forked from
one that has already imported the heavy third-party packages (dagster, polars, duckdb), so a
mutant costs the project's own import and its tests, not 3 s of interpreter start.

A mutant is one small change to one module, made on the AST and written back as source:
  compare   <  <=  >  >=  ==  !=  in/not in  is/is not   flipped to its neighbour or negation
  boolop    and <-> or
  not       `not x` -> `x`
  binop     + <-> -, * <-> /, // -> /, % -> *
  constant  numbers n -> n + 1 (0 -> 1, floats x 2), True <-> False
  delete    an expression statement (a call: a write, an append, a raise helper) -> pass;
            `return x` -> `return None`; `raise` -> pass; a `continue`/`break` -> pass
Docstrings, strings, log lines and lines marked `# no mutate` are left alone.

The runner works in a scratch copy of the repository (stock_assets/, the tests, the config
files; `../shared` linked beside it), put first on PYTHONPATH, so the work tree is never
changed and people can go on working while it runs. Each mutant is written over the copy's
module (restored afterwards), its bytecode is never written, and the module's test files run
in a forked child with `-x -m "not slow"` and a timeout. Killed = a test failed; survived = all
passed; timeout = the child ran past the limit (counted as killed, as mutmut does, and listed).

    uv run python tools/mutation.py                      # every module of MAP
    uv run python tools/mutation.py storage/dead_letter.py lib/qa/ordered_pass.py
    uv run python tools/mutation.py --list lib/calendar.py   # the mutants, not run
    uv run python tools/mutation.py --sample 0.3 --seed 1    # a fixed random share of each module
    uv run python tools/mutation.py --minutes 45 --seed 13   # a random sample of all: as many as 45 min allow

Not part of CI (a full run takes tens of minutes on 2 cores); the score is in docs/quality.md.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.util
import json
import os
import random
import shutil
import signal
import tempfile
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "stock_assets"  # where mutants are generated from; run() mutates a copy of it
TESTS = "stock_assets_tests"
COPIED = ("stock_assets", TESTS, "docs", "pyproject.toml", "dagster.yaml", "workspace.yaml")  # docs: test_catalog reads quality.md

# Module (under stock_assets/) -> the fast test files that are meant to catch its bugs.
MAP: dict[str, list[str]] = {
    "lib/adjust.py": ["prices/test_adjust.py"],
    "lib/alerting.py": ["automation/test_alerts_lib.py"],
    "lib/breaker.py": ["prices/test_ratelimit_breaker.py"],
    "lib/calendar.py": ["lib/test_calendar.py", "automation/test_market_hours.py"],
    "lib/dashboard_metrics.py": ["dashboard/test_dashboard_lib.py", "dashboard/test_dashboard_markets.py"],
    "lib/http.py": ["universe/test_http.py"],
    "lib/json_logs.py": ["dashboard/test_json_logs.py"],
    "lib/kpis.py": ["dashboard/test_dashboard_lib.py", "dashboard/test_dashboard_kpis.py"],
    "lib/lifecycle.py": ["lib/test_lifecycle.py"],
    "lib/listings/common.py": ["universe/test_nasdaqtrader.py", "universe/test_wikipedia.py"],
    "lib/listings/dax40.py": ["universe/test_wikipedia.py"],
    "lib/listings/ftse100.py": ["universe/test_wikipedia.py"],
    "lib/listings/nasdaqtrader.py": ["universe/test_nasdaqtrader.py"],
    "lib/listings/sp500.py": ["universe/test_wikipedia.py"],
    "lib/listings/wikipedia.py": ["universe/test_wikipedia.py"],
    "lib/markdown.py": ["lib/test_markdown.py"],
    "lib/market_hours.py": ["automation/test_market_hours.py"],
    "lib/qa/catalog.py": ["quality/test_catalog.py", "quality/test_qa_engine.py"],
    "lib/qa/engine.py": ["quality/test_qa_engine.py"],
    "lib/qa/fetch_errors.py": ["quality/test_qa_engine.py"],
    "lib/qa/gx.py": ["quality/test_qa_engine.py"],
    "lib/qa/history.py": ["quality/test_qa_engine.py", "quality/test_qa_real_data.py"],
    "lib/qa/ordered_pass.py": ["quality/test_qa_engine.py", "quality/test_qa_real_data.py"],
    "lib/qa/records.py": ["quality/test_qa_engine.py"],
    "lib/ratelimit.py": ["prices/test_ratelimit_breaker.py"],
    "lib/retry.py": ["lib/test_retry.py", "universe/test_http.py"],
    "lib/schema.py": ["lib/test_schema.py", "lib/test_validation.py"],
    "lib/svg_charts.py": ["dashboard/test_dashboard_lib.py", "dashboard/test_svg_charts.py"],
    "lib/symbols.py": ["lib/test_symbols.py"],
    "lib/synthetic.py": ["lib/test_synthetic.py", "prices/test_synthetic_source.py"],
    "lib/validation.py": ["lib/test_validation.py", "prices/test_records_quarantine.py"],
    "storage/dagster_event_log.py": ["storage/test_dagster_event_log.py"],
    "storage/dead_letter.py": ["prices/test_dead_letter.py", "prices/test_dead_letter_skips.py"],
    "storage/io_managers.py": ["storage/test_io_managers.py", "storage/test_lake.py", "storage/test_atomic_writes.py"],
    "storage/lake.py": ["storage/test_lake.py", "storage/test_lake_crash.py", "storage/test_atomic_writes.py"],
    "storage/warehouse.py": ["storage/test_warehouse.py"],
    "defs/prices/records.py": ["prices/test_records.py", "prices/test_records_quarantine.py",
                               "prices/test_unit_quarantine.py", "prices/test_dead_letter_skips.py",
                               "storage/test_atomic_writes.py"],
    "defs/quality/price_checks.py": ["quality/test_qa_job.py"],
    # Modules added by the markets, intraday, reliability and request-layer work (issues 13-16).
    "lib/markets.py": ["lib/test_markets.py", "lib/test_markets_forms.py", "lib/test_market_of.py"],
    "lib/market_sessions.py": ["lib/test_market_sessions.py", "lib/test_markets.py", "lib/test_market_of.py",
                               "automation/test_markets_schedule.py"],
    "lib/qa/freshness.py": ["quality/test_market_freshness.py"],
    "lib/futures.py": ["lib/test_futures.py"],
    "lib/unit_error.py": ["lib/test_unit_error.py", "prices/test_unit_quarantine.py"],
    "lib/adjusted.py": ["read/test_bars.py", "read/test_intraday_adjusted.py"],
    "lib/self_heal.py": ["lib/test_self_heal.py", "prices/test_stale_universe.py"],
    "lib/config_checks.py": ["lib/test_config_checks.py", "test_config_validation.py"],
    "lib/sql_text.py": ["test_hostile_paths.py"],
    "lib/processes.py": ["lib/test_processes.py", "storage/test_run_process.py"],
    "lib/synthetic_markets.py": ["lib/test_synthetic.py", "quality/test_qa_markets.py", "lib/test_markets.py"],
    "lib/intraday/checks.py": ["lib/test_intraday.py", "prices/test_intraday_recorded.py"],
    "lib/intraday/parse.py": ["lib/test_intraday.py", "prices/test_intraday_recorded.py"],
    "lib/intraday/resample.py": ["lib/test_intraday.py", "prices/test_intraday_recorded.py"],
    "lib/intraday/retention.py": ["lib/test_intraday.py", "automation/test_intraday_bars_automation.py"],
    "lib/intraday/sessions.py": ["lib/test_intraday.py"],
    "lib/intraday/store.py": ["lib/test_intraday.py", "prices/test_intraday_bars.py"],
    "lib/intraday/synthetic.py": ["lib/test_intraday.py"],
    "lib/listings/euronext.py": ["universe/test_exchange_lists.py"],
    "lib/listings/xetra.py": ["universe/test_exchange_lists.py"],
    "lib/listings/futures.py": ["universe/test_exchange_lists.py", "lib/test_futures.py"],
    "lib/listings/ftse250.py": ["universe/test_wikipedia.py"],
    "lib/listings/mdax.py": ["universe/test_wikipedia.py"],
    "lib/listings/cac40.py": ["universe/test_wikipedia.py"],
    "lib/listings/aex.py": ["universe/test_wikipedia.py"],
    "storage/published.py": ["read/test_published.py"],
    "storage/lake_upgrade.py": ["prices/test_lake_upgrade.py"],
    "storage/run_process.py": ["storage/test_run_process.py"],
    "storage/intraday_views.py": ["storage/test_intraday_views.py", "read/test_intraday_adjusted.py"],
    "lib/proxies.py": ["lib/test_proxies.py", "prices/test_proxies.py"],
    # Quote snapshots (issue 16, ADR 0016).
    "lib/quotes/parse.py": ["lib/test_quotes_parse.py"],
    "lib/quotes/freshness.py": ["lib/test_quotes_parse.py", "automation/test_quote_automation.py"],
    "lib/quotes/scan.py": ["automation/test_quote_automation.py"],
    "storage/quote_store.py": ["read/test_quote_reads.py", "prices/test_quote_snapshots.py"],
    "lib/stream/messages.py": ["stream/test_stream_lib.py"],
    "lib/stream/bars.py": ["stream/test_bars.py", "stream/test_stream_lake.py"],
    "lib/stream/backoff.py": ["stream/test_stream_lib.py"],
    "lib/stream/status.py": ["stream/test_stream_lib.py", "stream/test_stream_dagster.py"],
    "storage/stream_lake.py": ["stream/test_stream_lake.py", "stream/test_stream_dagster.py"],
    "storage/intraday_months.py": ["read/test_intraday_months.py"],
    "lib/intraday/adjusted.py": ["read/test_intraday_adjusted.py"],
    "lib/intraday/crosscheck.py": ["prices/test_intraday_crosscheck.py"],
}

# Imported once in the parent so that each forked child starts with them in memory.
PRELOAD = ("pytest", "dagster", "dagster_duckdb", "polars", "duckdb", "numpy", "pandas", "exchange_calendars",
           "requests", "curl_cffi", "bs4", "lxml", "jinja2")

_FLIP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_FLIP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
             ast.FloorDiv: ast.Div, ast.Mod: ast.Mult}
_LOG_NAMES = ("log", "info", "warning", "debug", "error", "exception", "print")


@dataclass
class Mutant:
    module: str
    line: int
    kind: str
    before: str
    after: str
    span: tuple[int, int, int, int]  # lineno, col, end_lineno, end_col of the replaced node

    def label(self) -> str:
        return f"{self.module}:{self.line} [{self.kind}] {self.before}  ->  {self.after}"


def _is_log_call(node: ast.AST) -> bool:
    call = node.value if isinstance(node, ast.Expr) else node
    if not isinstance(call, ast.Call):
        return False
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in _LOG_NAMES


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first))
    return ids


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:87] + "..."


def mutants_of(module: str) -> list[Mutant]:
    """Every mutant of `module` (a path under stock_assets/), in source order."""
    source = (PKG / module).read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)
    # nodes inside log calls, annotations and `# no mutate` lines are not mutated
    skip: set[int] = set()
    for node in ast.walk(tree):
        if _is_log_call(node) or id(node) in docstrings:
            skip.update(id(n) for n in ast.walk(node))
        for ann in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if ann is not None:
                skip.update(id(n) for n in ast.walk(ann))
    out: list[Mutant] = []

    def add(node: ast.AST, kind: str, new: ast.AST | None, text: str | None = None) -> None:
        if "# no mutate" in lines[node.lineno - 1]:
            return
        before = ast.get_source_segment(source, node) or ""
        after = text if text is not None else ast.unparse(new)
        if kind not in ("delete",) and isinstance(node, ast.expr):
            after = f"({after})"
        out.append(Mutant(module, node.lineno, kind, _one_line(before), _one_line(after),
                          (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)))

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _FLIP_CMP:
                    new = copy.deepcopy(node)
                    new.ops[k] = _FLIP_CMP[type(op)]()
                    add(node, "compare", new)
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            add(node, "boolop", new)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            add(node, "not", node.operand)
        elif isinstance(node, ast.BinOp) and type(node.op) in _FLIP_BIN:
            if isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr)):
                continue  # "%s" % x formatting
            new = copy.deepcopy(node)
            new.op = _FLIP_BIN[type(node.op)]()
            add(node, "binop", new)
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                add(node, "constant", ast.Constant(not v))
            elif isinstance(v, int):
                add(node, "constant", ast.Constant(v + 1))
            elif isinstance(v, float):
                add(node, "constant", ast.Constant(v * 2 if v else 1.0))
        elif isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            add(node, "delete", None, "pass")
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            add(node, "delete", None, "return None")
        elif isinstance(node, (ast.Raise, ast.Continue, ast.Break)):
            add(node, "delete", None, "pass")
    return sorted(out, key=lambda m: (m.span[0], m.span[1], m.kind, m.after))


def apply(source: str, m: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    l0, c0, l1, c1 = m.span
    # AST columns are UTF-8 byte offsets
    head = lines[l0 - 1].encode()[:c0].decode()
    tail = lines[l1 - 1].encode()[c1:].decode()
    after = m.after if m.kind != "delete" else m.after
    return "".join(lines[:l0 - 1]) + head + after + tail + "".join(lines[l1:])


def _drop_bytecode(path: Path) -> None:
    try:
        Path(importlib.util.cache_from_source(str(path))).unlink(missing_ok=True)
    except (NotImplementedError, ValueError):
        pass


_CHILD: list[int] = []  # the running child, killed with its process group if the runner stops


def _kill_child() -> None:
    for pid in _CHILD:
        try:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    _CHILD.clear()


def _run_tests(tests: list[str], timeout: float) -> str:
    """Fork a child that runs pytest in process; 'killed', 'survived' or 'timeout'."""
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest
            code = pytest.main(["-q", "-x", "-p", "no:cacheprovider", "-m", "not slow", "--timeout", str(int(timeout)),
                                *[f"{TESTS}/{t}" for t in tests]])
            os._exit(int(code))
        except BaseException:  # noqa: BLE001 - anything in the child is a failed test run
            os._exit(99)
    _CHILD.append(pid)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _CHILD.clear()
            code = os.waitstatus_to_exitcode(status)
            return "survived" if code == 0 else "killed"
        if time.monotonic() > deadline:
            _kill_child()
            return "timeout"
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("modules", nargs="*", help="paths under stock_assets/ (default: every module of MAP)")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant (the child is killed after)")
    ap.add_argument("--sample", type=float, default=1.0, help="share of each module's mutants to run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write every result here as JSON lines")
    ap.add_argument("--minutes", type=float, help="start no new mutant after this many minutes; the plan is "
                    "shuffled (--seed), so the mutants run are a uniform random sample of all of them")
    ap.add_argument("--no-baseline", action="store_true", help="skip the check that the tests pass unmutated")
    ap.add_argument("--survivors-of", type=Path, help="run again only the mutants that survived in this --json "
                    "file (after adding tests: which survivors do they kill now?)")
    args = ap.parse_args(argv)
    modules = args.modules or list(MAP)
    unknown = [m for m in modules if m not in MAP]
    if unknown:
        ap.error(f"no test files mapped for {unknown}; add them to MAP")
    rng = random.Random(args.seed)
    plan = []
    for module in modules:
        found = mutants_of(module)
        if args.sample < 1.0:
            found = sorted(rng.sample(found, round(len(found) * args.sample)), key=lambda m: m.span)
        plan.extend(found)
    if args.survivors_of:
        # the span too: two mutants of one line may read alike (`f(0, 0)`: each 0 -> 1)
        survived = {(r["module"], r["line"], r["kind"], r["before"], r["after"], tuple(r["span"]))
                    for r in map(json.loads, args.survivors_of.read_text().splitlines()) if r["outcome"] == "survived"}
        plan = [m for m in plan if (m.module, m.line, m.kind, m.before, m.after, m.span) in survived]
    if args.minutes:
        rng.shuffle(plan)
    if args.list:
        for m in plan:
            print(m.label())
        print(f"{len(plan)} mutants in {len(modules)} modules")
        return 0

    sys.dont_write_bytecode = True  # a mutant's bytecode must never be reused for the real module
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    work = scratch / REPO.name
    work.mkdir()
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, work / name)
    shared = next((p for p in (REPO.parent / "shared", REPO / "shared") if p.exists()), None)
    if shared is not None:  # the real-data tests read ../shared/data
        (scratch / "shared").symlink_to(shared.resolve())
    os.environ["PYTHONPATH"] = os.pathsep.join([str(work), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.path.insert(0, str(work))
    os.chdir(work)
    print(f"working in {work}", flush=True)
    import subprocess
    where = subprocess.run([sys.executable, "-c", "import stock_assets; print(stock_assets.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if not where.startswith(str(work)):
        ap.error(f"stock_assets is imported from {where}, not from the scratch copy {work}")
    for name in PRELOAD:
        __import__(name)
    for t in {t for m in modules for t in MAP[m]}:
        if not (work / TESTS / t).exists():
            ap.error(f"mapped test file {t} does not exist")
    # the unmutated modules must pass their tests, or every mutant would look killed
    for tests in dict.fromkeys(tuple(MAP[m]) for m in modules) if not args.no_baseline else ():
        if _run_tests(list(tests), args.timeout) != "survived":
            module = next(m for m in modules if tuple(MAP[m]) == tests)
            print(f"{module}: its tests fail without a mutant ({MAP[module]}); fix that first", file=sys.stderr)
            shutil.rmtree(scratch, ignore_errors=True)
            return 2
    results: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": []}
    sink = args.json.open("w") if args.json else None
    started = time.monotonic()
    originals: dict[Path, str] = {}
    try:
        for n, m in enumerate(plan, 1):
            if args.minutes and time.monotonic() - started > args.minutes * 60:
                print(f"time budget of {args.minutes} min spent: {n - 1} of {len(plan)} mutants run", flush=True)
                break
            path = work / "stock_assets" / m.module
            original = originals.setdefault(path, path.read_text())
            path.write_text(apply(original, m))
            _drop_bytecode(path)
            t0 = time.monotonic()
            try:
                outcome = _run_tests(MAP[m.module], args.timeout)
            finally:
                path.write_text(original)
                _drop_bytecode(path)
            results[outcome].append(m)
            print(f"[{n}/{len(plan)}] {outcome:8s} {time.monotonic() - t0:5.1f}s  {m.label()}", flush=True)
            if sink:
                sink.write(json.dumps({"outcome": outcome, **asdict(m)}) + "\n")
                sink.flush()
    except KeyboardInterrupt:
        print("interrupted: results so far", file=sys.stderr)
    finally:
        _kill_child()
        for path, text in originals.items():
            path.write_text(text)
            _drop_bytecode(path)
        if sink:
            sink.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return report(results, modules, time.monotonic() - started)


def report(results: dict[str, list[Mutant]], modules: list[str], seconds: float) -> int:
    total = sum(len(v) for v in results.values())
    caught = len(results["killed"]) + len(results["timeout"])
    print(f"\n{total} mutants in {len(modules)} modules, {seconds / 60:.1f} min")
    print(f"killed {len(results['killed'])}, timeouts {len(results['timeout'])}, survived {len(results['survived'])}")
    print(f"score (killed + timeouts) / mutants: {caught / total:.1%}" if total else "no mutants")
    by_module: dict[str, list[int]] = {}
    for outcome, ms in results.items():
        for m in ms:
            row = by_module.setdefault(m.module, [0, 0])
            row[0] += 1
            row[1] += outcome != "survived"
    print("\nper module (caught / mutants):")
    for module, (n, k) in sorted(by_module.items()):
        print(f"  {module:40s} {k:4d} / {n:4d}  {k / n:6.1%}")
    if results["timeout"]:
        print("\ntimeouts:")
        for m in results["timeout"]:
            print("  " + m.label())
    if results["survived"]:
        print("\nsurvived:")
        for m in results["survived"]:
            print("  " + m.label())
    return 0


if __name__ == "__main__":
    sys.exit(main())
