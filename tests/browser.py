"""A real browser for the web tests: Debian's Chromium driven by Playwright.

The tests use the distribution's Chromium (apt) rather than `playwright install`, which
downloads a browser from a CDN at test time; that is slow, unpinned and fails offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
APT_PACKAGES = ("chromium", "chromium-driver")
APT_UPDATE_TIMEOUT_S = 300
APT_INSTALL_TIMEOUT_S = 600


class ChromiumMissingError(RuntimeError):
    """Chromium is not installed and could not be installed with apt-get."""


def ensure_chromium() -> Path:
    """Return the Chromium binary, installing it with apt-get first if it is missing.

    Runs `apt-get install`, and `apt-get update` plus a second install when the first one
    fails (stale package lists). Blocks; call it before the event loop or in a thread.
    """
    if CHROMIUM.exists():
        return CHROMIUM
    install = ["apt-get", "install", "-y", *APT_PACKAGES]
    problems = [_run(install, APT_INSTALL_TIMEOUT_S)]
    if problems[-1] is not None:
        problems.append(_run(["apt-get", "update"], APT_UPDATE_TIMEOUT_S))
        problems.append(_run(install, APT_INSTALL_TIMEOUT_S))
    if not CHROMIUM.exists():
        details = "; ".join(p for p in problems if p) or "apt-get reported success"
        raise ChromiumMissingError(
            f"{CHROMIUM} is missing and `{' '.join(install)}` did not provide it ({details}). "
            "Install it as root: apt-get update && apt-get install -y chromium chromium-driver"
        )
    return CHROMIUM


def _run(command: list[str], timeout_s: int) -> str | None:
    """Run an apt-get command; None on success, else a short description of the failure."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=timeout_s, check=False)
    except FileNotFoundError:
        return "apt-get not found (not a Debian/Ubuntu system?)"
    except subprocess.TimeoutExpired:
        return f"`{' '.join(command)}` timed out after {timeout_s} s"
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"`{' '.join(command)}` exited {result.returncode}: {' | '.join(tail)}"
    return None


@contextlib.asynccontextmanager
async def launch_chromium() -> AsyncIterator[Browser]:
    """Yield a headless Chromium browser, closed (with Playwright) on exit."""
    executable = await asyncio.to_thread(ensure_chromium)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            await browser.close()
