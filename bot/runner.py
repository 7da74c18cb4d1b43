"""`make run`: start the action server, the Rasa server and the gateway; stop all on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO

import aiohttp
from aiohttp import web

from bot.app import init_app
from bot.config import REPO_ROOT, Settings
from bot.logs import child_log_level
from bot.store.migrate import upgrade

log = logging.getLogger("broekzak")

READY_TIMEOUT_S = 300.0


def with_runtime_secrets(settings: Settings) -> Settings:
    """Fill in secrets the user left empty with random ones valid for this run only."""
    return replace(
        settings,
        rasa_token=settings.rasa_token or secrets.token_urlsafe(24),
        actions_token=settings.actions_token or secrets.token_urlsafe(24),
        handoff_secret=settings.handoff_secret or secrets.token_urlsafe(32),
    )


def child_environment(settings: Settings,
                      extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the Rasa and action server processes (secrets passed, not logged)."""
    env = dict(os.environ)
    env.update(extra or {})
    env.update({
        "RASA_TOKEN": settings.rasa_token,
        "ACTIONS_TOKEN": settings.actions_token,
        "ACTIONS_HOST": settings.actions_host,
        "ACTIONS_PORT": str(settings.actions_port),
        "ACTION_ENDPOINT_URL": f"http://{settings.actions_host}:{settings.actions_port}/webhook",
        "HANDOFF_SECRET": settings.handoff_secret,
        "GATEWAY_URL": settings.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # Rasa at DEBUG logs every message it parses; the action server reads it too.
        "LOG_LEVEL": child_log_level(settings.log_level),
    })
    return env


def rasa_command(settings: Settings, model: Path | str) -> list[str]:
    """The `rasa run` command line: HTTP API with token, bound to localhost only."""
    return [
        str(Path(sys.executable).with_name("rasa")), "run",
        "--enable-api", "--auth-token", settings.rasa_token,
        "-i", "127.0.0.1", "-p", str(settings.rasa_port),
        "--model", str(model),
        "--endpoints", str(REPO_ROOT / "endpoints.yml"),
        "--credentials", str(REPO_ROOT / "credentials.yml"),
    ]


def action_server_command() -> list[str]:
    """The action server command line."""
    return [sys.executable, "-m", "actions.server"]


class Stack:
    """The child processes of one run, started and stopped together."""

    def __init__(self, settings: Settings, model: Path | str,
                 extra_env: dict[str, str] | None = None,
                 output: IO[bytes] | None = None) -> None:
        self.settings = settings
        self.model = model
        self.extra_env = extra_env or {}
        # Where the children's stdout and stderr go: this process's own by default (the
        # terminal, or the service manager's journal); a file in tests that read the logs.
        self.output = output
        self.processes: list[subprocess.Popen[bytes]] = []

    def start_children(self) -> None:
        """Start the action server and Rasa."""
        env = child_environment(self.settings, self.extra_env)
        for command in (action_server_command(), rasa_command(self.settings, self.model)):
            # The commands are built from our own settings, never from user input.
            self.processes.append(subprocess.Popen(  # noqa: S603
                command, cwd=REPO_ROOT, env=env, stdout=self.output,
                stderr=None if self.output is None else subprocess.STDOUT))

    def dead_child(self) -> subprocess.Popen[bytes] | None:
        """A child that exited, if any."""
        return next((p for p in self.processes if p.poll() is not None), None)

    def stop_children(self, timeout_s: float = 15.0) -> None:
        """SIGTERM every child, then SIGKILL what is still running after the timeout."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_until_ready(stack: Stack) -> bool:
    """Poll Rasa's /status until a model is loaded; False if a child died or time ran out."""
    url = f"{stack.settings.rasa_url}/status"
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if stack.dead_child() is not None:
                return False
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(url, params={"token": stack.settings.rasa_token},
                                       timeout=aiohttp.ClientTimeout(total=3)) as response:
                    if response.status == 200 and (await response.json()).get("model_file"):
                        return True
            await asyncio.sleep(1.0)
    return False


async def serve(settings: Settings, model: Path | str) -> int:
    """Run the whole stack until SIGINT/SIGTERM or until a child dies."""
    stack = Stack(settings, model)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack.start_children()
    runner = web.AppRunner(init_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    exit_code = 0
    try:
        ready = asyncio.create_task(wait_until_ready(stack))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stopped.done():
            ready.cancel()
        elif not ready.result():
            log.error("the bot did not start (see the output of rasa above)")
            exit_code = 1
        else:
            print(f"\n  broekzak is klaar. Chat op {settings.public_url}/  (stoppen: Ctrl-C)\n",
                  flush=True)
            while not stop.is_set():
                dead = stack.dead_child()
                if dead is not None:
                    log.error("a child process exited (code %s): stopping", dead.returncode)
                    exit_code = 1
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
    finally:
        print("  broekzak stopt…", flush=True)
        await runner.cleanup()
        await asyncio.to_thread(stack.stop_children)
    return exit_code


def run(settings: Settings, model: Path | str) -> int:
    """Migrate the database, then serve everything; returns the process exit code."""
    settings = with_runtime_secrets(settings)
    upgrade(settings.database_url)
    return asyncio.run(serve(settings, model))
