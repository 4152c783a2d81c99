"""Handlers for readers' commands, buttons, inline queries and messages."""
