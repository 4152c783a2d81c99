"""The `newsbot` command line: its commands, the console and `newsbot run`."""
