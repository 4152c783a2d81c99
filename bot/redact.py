"""The one place secrets are taken out of text: the bot token, the webhook secret, and URLs carrying them.

Every log record passes through `RedactingFilter` (installed on the root handler by `bot.runtime.logs`,
so python-telegram-bot's, httpx's, aiohttp's and asyncio's loggers included) and every error line
the `newsbot` command prints passes through `redact`. Three layers, so a secret is caught even
before the configured one is known (a configuration error) or when it appears in another form:

- the configured values (`remember`), wherever they stand as a whole word;
- the shape of any bot token, ``<digits>:<30 or more of A-Z a-z 0-9 _ ->``, and the token in a
  Bot API path (``/bot<TOKEN>/…``, ``/file/bot<TOKEN>/…``);
- values following a secret's name: ``?secret=…``, ``&token=…``, ``'secret_token': '…'``,
  ``X-Telegram-Bot-Api-Secret-Token: …``;
- the password in a URL's user part (``postgresql://user:…@host/db``, NEWSBOT_DB), which the
  store's own lines already leave out (`bot.store.location.safe_url`): this catches any other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN_PLACEHOLDER = "<token>"  # noqa: S105 - what stands in for a token, not a token
SECRET_PLACEHOLDER = "<secret>"  # noqa: S105 - what stands in for a secret

# A token of any configured shape in a Bot API path, then a bare token of BotFather's shape.
_BOT_PATH = re.compile(r"(/bot)\d+:[^/\s?#'\"`<>]+")
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# A value after a secret's name: query parameters (?secret=…), dict reprs and JSON ('secret_token': …),
# keyword reprs (secret_token='…') and the webhook's header.
_NAMED = re.compile(
    r"(?i)("
    r"[?&;](?:secret_token|secret|token)="
    r"|['\"](?:secret_token|secret|token)['\"]\s*:\s*['\"]?"
    r"|\bsecret_token=['\"]?"
    r"|x-telegram-bot-api-secret-token['\"]?\s*[:=]\s*['\"]?"
    r")(?!<(?:token|secret)>)[^\s&#'\"`,;)}\]]+"
)
# A URL's password: scheme://user:PASSWORD@ (the user part has no / or @; the password runs to the last @
# before the host, so an @ inside it is covered too).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:)(?!<secret>@)[^\s/]*(@)")
_WORD = "A-Za-z0-9_-"

_known: dict[str, str] = {}  # configured secret value -> its placeholder
_known_pattern: re.Pattern[str] | None = None


def remember(token: str | None = None, webhook_secret: str | None = None) -> None:
    """Redact these configured values from now on (called once the settings are read)."""
    global _known_pattern
    if token:
        _known[token] = TOKEN_PLACEHOLDER
    if webhook_secret:
        _known[webhook_secret] = SECRET_PLACEHOLDER
    if _known:
        words = "|".join(re.escape(value) for value in sorted(_known, key=len, reverse=True))
        _known_pattern = re.compile(rf"(?<![{_WORD}])(?:{words})(?![{_WORD}])")


def forget() -> None:
    """Forget the configured values (tests)."""
    global _known_pattern
    _known.clear()
    _known_pattern = None


def redact(text: str) -> str:
    """`text` with every secret it carries replaced by a placeholder."""
    if _known_pattern is not None:
        text = _known_pattern.sub(lambda m: _known[m.group(0)], text)
    text = _BOT_PATH.sub(r"\1" + TOKEN_PLACEHOLDER, text)
    text = _TOKEN_SHAPE.sub(TOKEN_PLACEHOLDER, text)
    text = _URL_PASSWORD.sub(r"\1" + SECRET_PLACEHOLDER + r"\2", text)
    return _NAMED.sub(r"\1" + SECRET_PLACEHOLDER, text)


class RedactingFilter(logging.Filter):
    """Takes secrets out of a record's final message, its exception (the whole chain) and stack text.

    A handler's filter sees every record the handler writes, whichever logger made it. The message
    is merged with its args first (a secret may be an argument). An exception whose text carries a
    secret is replaced by a stand-in of the same type name and module, with the redacted text and
    the same traceback, so any formatter — one line, a traceback, JSON — writes it without the secret.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if _carries_secret(error):
                stand_in = _stand_in(error, set())
                record.exc_info = (type(stand_in), stand_in, error.__traceback__)
                record.exc_text = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _chain(error: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # an exception whose str fails has no text to leak
        return ""


def _carries_secret(error: BaseException) -> bool:
    return any(redact(_text(e)) != _text(e) for e in _chain(error))


def _stand_in(error: BaseException, seen: set[int]) -> BaseException:
    """A copy of `error` for the log: same type name, module and traceback, redacted text, same chain."""
    seen.add(id(error))
    kind = type(error)
    base = Exception if isinstance(error, Exception) else BaseException
    copy_type = type(kind.__name__, (base,), {"__module__": kind.__module__, "__qualname__": kind.__qualname__})
    copy = copy_type(redact(_text(error)))
    copy.__traceback__ = error.__traceback__
    if error.__cause__ is not None and id(error.__cause__) not in seen:
        copy.__cause__ = _stand_in(error.__cause__, seen)
    if error.__context__ is not None and id(error.__context__) not in seen:
        copy.__context__ = _stand_in(error.__context__, seen)
    copy.__suppress_context__ = error.__suppress_context__
    return copy
