#!/usr/bin/env bash
# Run the bot: `newsbot run` when TELEGRAM_BOT_TOKEN is configured (environment or .env),
# otherwise the `newsbot console` demo on the embedded SQLite store, seeded from seeds/.
source "$(dirname "$0")/_venv.sh" run
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ] || grep -Eq '^[[:space:]]*TELEGRAM_BOT_TOKEN=[^[:space:]#]+' .env 2>/dev/null; then
  exec .venv/bin/newsbot run "$@"
fi
echo "No TELEGRAM_BOT_TOKEN configured: starting the local demo (newsbot console)." >&2
exec .venv/bin/newsbot console "$@"
