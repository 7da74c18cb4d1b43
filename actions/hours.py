"""The opening hours the gateway reports (an admin may have changed them in Beheer → Dienst),
with .env's as the fallback when the gateway cannot be reached: the bot still answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import lru_cache

import aiohttp

from bot.config import ConfigError, Settings, WeeklyHours, parse_exceptions, parse_opening_hours

log = logging.getLogger(__name__)

HOURS_PATH = "/api/v1/hours"
# After an ask that timed out, .env's hours serve this long before the gateway is asked
# again, so a hanging gateway does not make every answer wait. A refused connection costs
# nothing and is not waited out.
RETRY_AFTER_S = 5.0
TIMEOUT_S = 2.0


class GatewayHours:
    """Asks the gateway for the hours in force at each answer that needs them.

    Not remembered: the gateway answers from memory in a few milliseconds, and a change an
    admin saves must show in the very next answer, as it does in the queue's messages.
    """

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic,
                 timeout_s: float = TIMEOUT_S) -> None:
        self._url = settings.gateway_url + HOURS_PATH
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._fallback = settings.opening_hours
        self._clock = clock
        self._ask_again_at = 0.0

    async def current(self) -> WeeklyHours:
        """The hours in force (the gateway's, else .env's)."""
        if self._clock() < self._ask_again_at:
            return self._fallback
        try:
            return await self._ask()
        except asyncio.TimeoutError:  # before ClientError: a ServerTimeoutError is both
            log.warning("the gateway did not tell the opening hours in time; using .env's")
            self._ask_again_at = self._clock() + RETRY_AFTER_S
        except (aiohttp.ClientError, ConfigError, KeyError, TypeError, ValueError) as error:
            log.warning("could not get the opening hours from the gateway (%s); using .env's",
                        type(error).__name__)
        return self._fallback

    async def _ask(self) -> WeeklyHours:
        async with aiohttp.ClientSession(timeout=self._timeout) as session, \
                session.get(self._url) as response:
            response.raise_for_status()
            data = await response.json()
        return parse_exceptions(str(data["holidays"]), parse_opening_hours(
            str(data["opening_hours"])))


@lru_cache(maxsize=4)
def _source(settings: Settings) -> GatewayHours:
    return GatewayHours(settings)


async def opening_hours(settings: Settings) -> WeeklyHours:
    """The opening hours in force, for the action server's answers."""
    return await _source(settings).current()
