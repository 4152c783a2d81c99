"""Tools for development and tests: the local Bot API emulator and the harness that runs the
real bot against it. Only the console, tests and benchmarks import this package."""
