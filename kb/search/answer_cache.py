"""Answers kept for questions asked again, for as long as nothing they depend on has moved.

A busy morning asks the same few questions many times (a policy in the news, the hot list on the
agent console). An answer depends on the question and the request's options, and otherwise only
on the state of the indexes (the version followed from the database, the snapshot, how far the
dense channels have embedded) and the county day (validity). The cache keeps answers for one such
state and starts afresh when it changes, so a kept answer is the answer ``ask`` would give now.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


class AnswerCache(Generic[Answer]):
    """A bounded, thread-safe LRU of answers for one state of what answers depend on."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._state: Hashable = None
        self._kept: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, state: Hashable, key: Hashable) -> Answer | None:
        """The answer kept for ``key`` in ``state``, or None (everything goes when the state moved)."""
        with self._lock:
            if state != self._state:
                self._state = state
                self._kept.clear()
            found = self._kept.get(key)
            if found is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return found

    def put(self, state: Hashable, key: Hashable, answer: Answer) -> None:
        """Keep ``answer``, worked out in ``state`` (dropped if the state moved meanwhile)."""
        with self._lock:
            if state != self._state or self.size <= 0:
                return
            self._kept[key] = answer
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
