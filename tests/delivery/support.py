"""Helpers for delivery tests: seed files with test topics, `newsbot ingest` in another process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# Topics with names no seed keyword matches, so only the items that name them land in them.
TOPICS = [
    {"slug": "t-alpha", "name": "موضوع ألف التجريبي", "kind": "story", "keywords": []},
    {"slug": "t-beta", "name": "موضوع باء التجريبي", "kind": "section", "keywords": []},
]


def item(n: int, *topics: str, headline: str | None = None, lead: str = "مقدمة قصيرة للخبر.") -> dict[str, Any]:
    return {
        "guid": f"test-item-{n}",
        "url": f"https://example.com/news/{n}",
        "headline": headline if headline is not None else f"عنوان تجريبي رقم {n}",
        "lead": lead,
        "body": ["فقرة أولى."],
        "topics": list(topics),
    }


def write_seed(path: Path, items: list[dict[str, Any]], topics: list[dict[str, Any]] | None = None) -> Path:
    path.write_text(json.dumps({"topics": TOPICS if topics is None else topics, "items": items}), encoding="utf-8")
    return path


async def ingest_elsewhere(db_path: Path | str, *files: Path | str, **settings: str) -> str:
    """Run `python -m bot ingest FILE_OR_URL…` in another process against the same store (a file,
    or a PostgreSQL URL), with these settings (NEWSBOT_…) besides."""
    env = {**os.environ, "NEWSBOT_DB": str(db_path), "NEWSBOT_LOG_LEVEL": "WARNING", **settings}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "ingest",
        *map(str, files),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode() + err.decode()
