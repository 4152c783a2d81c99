"""Handlers the bot runs for itself: errors, flood control, chat membership."""
