"""Live updates: what every phone's view of a room shares, and waking a room's event streams when it
changes (coalesced for upvotes), with a count of the phones connected."""

from __future__ import annotations

import asyncio
import datetime
from typing import NamedTuple

import tornado.locks

COALESCE_SECONDS = 0.5  # upvotes reach the other phones at most this late, and at most this often


class LiveRoom(NamedTuple):
    """What every phone's view of a room shares, read once per change of the room."""

    version: int  # the room's change count when this was read
    code: str
    room_key: bytes
    open_questions: dict  # question id -> definition, oldest first
    on_screen: tuple  # (box id, text, upvotes) of the box questions shown


class RoomEvents:
    """Wakes the live-update streams of a room when its questions change; counts connected phones."""

    def __init__(self):
        self.version: dict[str, int] = {}
        self.phones: dict[str, int] = {}
        self.ended: set[str] = set()
        self._conditions: dict[str, tornado.locks.Condition] = {}
        self._waking_soon: set[str] = set()

    def changed(self, code: str, *, soon: bool = False) -> None:
        """The room changed: wake its phones now, or, for a change that can wait a moment (an
        upvote), within COALESCE_SECONDS, once for every change made meanwhile. Waking a room
        sends every phone its view, so a stream of upvotes must not do it once per upvote."""
        self.version[code] = self.version.get(code, 0) + 1  # views read after this see the change
        if not soon:
            self._condition(code).notify_all()
        elif code not in self._waking_soon:
            self._waking_soon.add(code)
            asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._wake, code)

    def _wake(self, code: str) -> None:
        self._waking_soon.discard(code)
        self._condition(code).notify_all()

    def end(self, code: str) -> None:
        self.ended.add(code)
        self.changed(code)

    async def wait(self, code: str, seconds: float) -> None:
        """Return when the room changes, or after `seconds` (time for a keep-alive)."""
        await self._condition(code).wait(timeout=datetime.timedelta(seconds=seconds))

    def _condition(self, code: str) -> tornado.locks.Condition:
        return self._conditions.setdefault(code, tornado.locks.Condition())
