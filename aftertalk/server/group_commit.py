"""Group commit: the answers that reach the server in the same turn of its event loop share one
SQLite transaction, and each phone is acknowledged only after that transaction has committed.

A commit was the largest piece of an answer's own work (benchmarks/README.md); when a room answers at
once, one commit per batch instead of one per answer keeps the server's throughput close to a bare
handler's, and an acknowledged answer is still always a saved one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aftertalk.errors import AftertalkError
from aftertalk.server import store


class GroupCommit:
    def __init__(self, db: store.Store):
        self.db = db
        self._pending: list[tuple[Callable[[store.Store], None], asyncio.Future]] = []

    def write(self, count: Callable[[store.Store], None]) -> asyncio.Future:
        """Run `count(db)` in the next shared transaction. The future is done once that transaction
        has committed; it raises the count's own error (a `Conflict`, say) when this answer alone was
        refused, and `Unavailable` when the commit failed, in which case nothing of the batch counts.

        `count` must raise an `AftertalkError` only before it has written anything, so that the
        others in its batch are unaffected.
        """
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._commit)  # after the handlers this turn runs, so they join the batch
        future = loop.create_future()
        self._pending.append((count, future))
        return future

    def _commit(self) -> None:
        pending, self._pending = self._pending, []
        outcomes: list[tuple[asyncio.Future, BaseException | None]] = []
        try:
            with store.transaction(self.db):
                for count, future in pending:
                    try:
                        count(self.db)
                        outcomes.append((future, None))
                    except AftertalkError as refused:
                        outcomes.append((future, refused))
        except Exception as failed:  # Unavailable (a full or read-only disk), or a bug: nothing committed
            outcomes = [(future, failed) for _, future in pending]
        for future, error in outcomes:
            if future.cancelled():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
