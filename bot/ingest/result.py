"""What every parser returns: the items it read, the items it refused (with reasons), and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import ParsedItem, TopicSpec


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item (or a whole source) refused, with a reason an editor can act on."""

    item: str  # the item's identifier: GUID, URL, headline or position («item 3»)
    reason: str


@dataclass(slots=True)
class ParseResult:
    items: list[ParsedItem] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)  # stored, but something was off (bad date)
    topics: list[TopicSpec] = field(default_factory=list)  # topics the source defines (seed files)
    parser: str = ""  # which parser read it, for reports and benches


class SourceError(Exception):
    """A source could not be read or parsed at all; the message names the source."""
