"""The full-text tests' store: the contract suite's `store`, once per engine (tests/store/conftest.py)."""

from tests.store.conftest import open_store, store  # noqa: F401 - fixtures, parametrized over STORE_FACTORIES
