"""Text rules with no I/O: Arabic folding, counted nouns, digits, dates; Telegram-HTML splitting."""
