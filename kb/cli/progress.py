"""A progress line for long embeds on stderr: done/total, rate and time left."""

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}小时{seconds % 3600 // 60}分"
    if seconds >= 60:
        return f"{seconds // 60}分{seconds % 60}秒"
    return f"{seconds}秒"


class ProgressLine:
    """Redraws one line on a terminal; elsewhere (logs, CI) prints a line every ``every`` s."""

    def __init__(self, label: str = "向量化", stream: TextIO | None = None,
                 every: float = 10.0) -> None:
        self.label, self.every = label, every
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._started: float | None = None
        self._first = 0
        self._shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` texts embedded (texts found in the cache count as done)."""
        now = time.monotonic()
        if self._started is None:  # rate from what is computed here, not what the cache held
            self._started, self._first = now, done
        spent = now - self._started
        rate = (done - self._first) / spent if spent > 0 else 0.0
        left = (total - done) / rate if rate > 0 else None
        finished = done >= total
        if not (self.tty or finished or now - self._shown >= self.every):
            return
        self._shown = now
        line = (f"{self.label} {done}/{total}（{100 * done // max(total, 1)}%）"
                f" {rate:.1f} 条/秒" + (f"，预计还需 {_clock(left)}" if left and not finished
                                      else f"，用时 {_clock(spent)}" if finished else ""))
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        if finished:
            self._started = None
