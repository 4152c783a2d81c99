#!/usr/bin/env bash
# The whole check, as CI runs it: lint, format, types, then every test (warnings are errors).
source "$(dirname "$0")/_venv.sh" dev
echo "== ruff check"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== lint-imports (layer contracts in pyproject.toml)"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/pytest "$@"
