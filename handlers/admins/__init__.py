"""Handlers for editors' commands (NEWSBOT_ADMINS)."""
