"""Answers every reader shares (pages of headlines, search results, their counts), remembered per
process while the store's content version stands.

Every reader asking for «ترامب» or the first page of the latest sees the same rows. The store keeps
a content version that moves in the same transaction as any change a list of headlines can show
(a batch stored, an article deleted, a topic renamed), whichever process writes; an answer is
reused only while the version is the one it was loaded under. Engine-neutral: the engine supplies
how to read its version.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar, cast

T = TypeVar("T")

REMEMBERED = 512  # answers kept per process, least recently used dropped first


class RememberedAnswers:
    def __init__(self, version: Callable[[], Awaitable[int]], size: int = REMEMBERED) -> None:
        self._version = version
        self._size = size
        self._kept: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()

    async def recall(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s answer, reused while nothing it could show has changed since.

        The version is read before loading, so an answer is never filed under a version older than
        what it saw (a change committed meanwhile makes the next ask load again). Answers should be
        immutable (tuples), as every caller gets the same object.
        """
        version = await self._version()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(key)
            return cast(T, kept[1])
        value = await load()
        self._kept[key] = (version, value)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return value


def page_count(total: int, size: int) -> int:
    """How many pages of `size` hold `total` rows: at least one, an empty one when there are none."""
    return max(1, -(-total // size))


def clamp_page(page: int, pages: int) -> int:
    """`page` (from 0) brought within `pages`: a stale button's page past the end shows the last."""
    return min(max(page, 0), pages - 1)


async def remembered_page(
    remembered: RememberedAnswers,
    key: Hashable,
    size: int,
    page: int,
    count: Callable[[], Awaitable[int]],
    rows: Callable[[int], Awaitable[list[T]]],
) -> tuple[int, int, list[T]]:
    """(how many there are, `page` within the pages there are (from 0), its `size` rows from
    `rows(offset)`) as one answer: one version read when remembered, where asking the count and
    the rows apart read it twice (each read a round trip to the store's thread or server)."""

    async def load() -> tuple[int, int, tuple[T, ...]]:
        total = await count()
        number = clamp_page(page, page_count(total, size))
        return total, number, tuple(await rows(number * size))

    total, number, found = await remembered.recall(key, load)
    return total, number, list(found)
