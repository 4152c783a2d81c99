"""An item's content fingerprint, engine-neutral: storing the same content again changes nothing.

`upsert_many` compares it with the stored one to tell an update from a repeat (a feed polled again
returns the same items), so an unchanged item costs no write, no index change and no content
version move. Every engine must compute it the same way for stores to stay comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot.models import ParsedItem
from bot.store import rows


def content_hash(item: ParsedItem, topic_ids: Sequence[int]) -> str:
    parts = [
        item.url or "",
        item.headline,
        item.lead,
        rows.body_text(item.body),
        str(rows.ts(item.published_at) or ""),
        item.source or "",
        item.author or "",
        item.outlet or "",
        item.image_url or "",
        item.kind.value,
        ",".join(str(t) for t in sorted(set(topic_ids))),
        rows.related_json(item.related),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
