"""Logging for the `newsbot` command: every event is one line, tracebacks folded into it."""

from __future__ import annotations

import logging
import sys

from bot.redact import RedactingFilter


class OneLineFormatter(logging.Formatter):
    """A failure logs as one line naming the exception, never a multi-line traceback."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record = logging.makeLogRecord(record.__dict__)
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return super().format(record).replace("\n", " ⏎ ")


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())  # every record, whichever logger made it: no token or secret
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
