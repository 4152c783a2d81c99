"""`newsbot ingest PATH_OR_URL…`: ingest, print a summary, list rejected items on stderr."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.ingest.fetch import MAX_BYTES, TIMEOUT_SECONDS
from bot.ingest.service import IngestReport, ingest_sources
from bot.redact import redact
from bot.store.protocols import NewsStore

EXIT_OK = 0
EXIT_REJECTED = 1  # some items were refused; the rest is stored
EXIT_UNREADABLE = 2  # at least one source could not be read at all


def summary_line(report: IngestReport) -> str:
    return (
        f"ingest: {report.sources} source(s), {report.added} added / أضيف, {report.updated} updated / حُدّث, "
        f"{report.unchanged} unchanged / دون تغيير, {len(report.rejected)} rejected / مرفوض"
        + (f", {len(report.not_modified)} not modified" if report.not_modified else "")
        + (f", {len(report.failed_sources)} unreadable / تعذرت قراءته" if report.failed_sources else "")
    )


def print_report(report: IngestReport, out: TextIO, err: TextIO) -> int:
    print(summary_line(report), file=out)
    for _source, reason in report.failed_sources:
        print(redact(f"unreadable: {reason}"), file=err)
    for problem in report.rejected:
        print(redact(f"rejected: {problem.source} | {problem.item} | {problem.reason}"), file=err)
    for problem in report.warnings:
        print(redact(f"warning: {problem.source} | {problem.item} | {problem.reason}"), file=err)
    if report.failed_sources:
        return EXIT_UNREADABLE
    return EXIT_REJECTED if report.rejected else EXIT_OK


async def run_ingest(
    store: NewsStore,
    sources: list[str],
    *,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    allow_private: bool = False,
) -> int:
    report = await ingest_sources(
        store,
        sources,
        progress=sys.stderr.isatty(),
        max_bytes=max_bytes,
        timeout=timeout,
        allow_private=allow_private,
    )
    return print_report(report, sys.stdout, sys.stderr)
