"""Suite-wide plugins. pytest honours `pytest_plugins` only in the top-level conftest, hence this file."""

pytest_plugins = ["tests.stripe_server"]
