"""`newsbot run`: long polling, or a webhook when NEWSBOT_WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import sys
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import NewsApplication, build_application
from bot.config import Settings
from bot.redact import redact
from bot.runtime import logs, metrics

log = logging.getLogger(__name__)

MISSING_TOKEN_HELP = (
    "newsbot: TELEGRAM_BOT_TOKEN is not set."  # noqa: S105 - help text about the token, not a token
    " Put the token from @BotFather in .env "
    "(see .env.example) or in the environment; to try the bot without a token, run `newsbot console`."
)


def _fail(line: str) -> int:
    print(redact(line), file=sys.stderr)  # noqa: T201 - one clear line for the person starting the bot
    return 2


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
# The webhook server's bind failing: the port is taken, the address is not this machine's, or a
# port below 1024 without the right.
_BIND_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def _stop_on_signals(app: NewsApplication) -> None:
    """SIGINT, SIGTERM or SIGABRT stop the bot gracefully; another while it stops is only logged.

    PTB's own handlers raise SystemExit at every signal, so a second Ctrl-C during the stop cut it
    short: the store's thread was left open (the process never exited) and workers waited for
    input that never closed. The stop itself is bounded (workers get STOP_TIMEOUT, sends their
    timeouts); SIGKILL still ends it at once.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # the loop run_polling / run_webhook take up
    stopping = False

    def on_signal(sig: signal.Signals) -> None:
        nonlocal stopping
        if stopping:
            log.warning("%s: already stopping, finishing the updates in hand (SIGKILL ends it now)", sig.name)
            return
        stopping = True
        log.info("%s: stopping", sig.name)
        if app.running:
            app.stop_running()  # run_polling / run_webhook go on to their stop steps
        else:
            raise SystemExit(0)  # still starting: PTB's own way out, which still shuts down

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)


def run(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM; PTB confirms the last updates and post_shutdown closes the store."""
    if not settings.token:
        return _fail(MISSING_TOKEN_HELP)
    if settings.webhook_url and not settings.webhook_secret:
        return _fail("newsbot: NEWSBOT_WEBHOOK_URL is set but NEWSBOT_WEBHOOK_SECRET is not: set a secret")
    listener = None
    if settings.metrics_listen is not None:  # bound before anything starts: a taken port is one line
        host, port = settings.metrics_listen
        try:
            listener = metrics.listen(settings.metrics_listen)
        except OSError as exc:
            return _fail(f"newsbot: NEWSBOT_METRICS_LISTEN: cannot listen on {host}:{port} ({exc.strerror or exc})")
    several = settings.workers > 1 and not settings.webhook_url
    if several:
        logs.set_process(0)
    try:
        with metrics.shared_between_processes(listener is not None and several):
            return _run(settings, listener)
    finally:
        if listener is not None:
            listener.close()


def _run(settings: Settings, listener: socket.socket | None) -> int:
    app = build_application(settings, metrics_socket=listener)
    _stop_on_signals(app)
    try:
        if settings.webhook_url:
            host, port = settings.listen
            log.info("webhook mode: %s, listening on %s:%d", settings.webhook_url, host, port)
            app.run_webhook(
                listen=host,
                port=port,
                url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                stop_signals=None,
            )
        else:
            log.info("long polling %s", settings.api_url)
            app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=None)
    except InvalidToken:
        return _fail("newsbot: Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token")
    except NetworkError as exc:
        return _fail(f"newsbot: cannot reach the Bot API at {settings.api_url} ({exc}): check TELEGRAM_API_URL")
    except TelegramError as exc:
        return _fail(f"newsbot: the Bot API refused to start the bot: {exc}")
    except OSError as exc:
        if not settings.webhook_url or exc.errno not in _BIND_ERRORS:
            raise
        host, port = settings.listen
        return _fail(f"newsbot: cannot listen on {host}:{port} ({exc.strerror}): check NEWSBOT_LISTEN")
    return 0
