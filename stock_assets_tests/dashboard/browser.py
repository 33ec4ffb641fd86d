"""Headless Chromium (Debian's `chromium` package) driven by Playwright, never a downloaded browser.

`chromium_path()` installs the package with apt when running as root where apt exists (CI),
otherwise skips with the reason. Playwright is used only as the driver (`executable_path`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _found() -> str | None:
    return next((path for path in CANDIDATES if Path(path).exists()), None)


def chromium_path() -> str:
    """The Chromium binary, installing Debian's package once if needed and possible; else skip."""
    path = _found()
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("headless Chromium is absent and cannot be installed here (needs root and apt-get): "
                    "apt-get install -y chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium ({' '.join(cmd)}): {done.stderr[-500:]}")
    path = _found()
    if not path:
        pytest.skip("apt-get installed chromium but no binary was found at " + ", ".join(CANDIDATES))
    return path


def sync_playwright():
    """Playwright's sync API, or skip when the package is absent (it is a dev dependency)."""
    api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    return api.sync_playwright()
