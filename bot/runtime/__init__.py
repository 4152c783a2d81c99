"""The running bot: the handlers' context, update processing, the Bot API HTTP client,
worker processes, logs, metrics and feed polling."""
