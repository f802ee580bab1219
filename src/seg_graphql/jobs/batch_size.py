"""How many import lines to apply between two checkpoints.

At most SEG_IMPORT_BATCH_LINES, and no more than fit in about SEG_IMPORT_BATCH_SECONDS on
this store: a slow store (the embedded one scans in Python; a busy server) gets smaller
batches, so checkpoints, lease renewals and a graceful stop (which waits for the batch in
flight) stay that frequent. A job starts small and doubles while batches stay quick.
"""

from __future__ import annotations

FIRST_BATCH = 100


class BatchSizer:
    def __init__(self, most: int, seconds: float | None) -> None:
        self._most = most
        self._seconds = seconds  # None: always `most` lines
        self.size = most if seconds is None else min(most, FIRST_BATCH)

    def record(self, lines: int, took: float) -> None:
        """Sizes the next batch from how long this one (of `lines` lines) took."""
        if self._seconds is None or lines == 0:
            return
        if took > self._seconds:
            self.size = max(1, int(lines * self._seconds / took))
        elif took < self._seconds / 2 and lines >= self.size:
            self.size = min(self._most, self.size * 2)
