"""newsbot: an Arabic news bot for Telegram."""

import os

# python-telegram-bot 22 gives durations (RetryAfter.retry_after, …) as int with a deprecation
# warning unless this opts in to datetime.timedelta, the type the next major version uses.
os.environ.setdefault("PTB_TIMEDELTA", "true")
