"""Suite-wide plugins. pytest honours `pytest_plugins` only in the top-level conftest, hence this file."""

# Imported now, not first by pytest's unraisable-exception hook: that hook can fire from a garbage collection in
# the middle of another import (a subprocess's or thread's leftovers), and importing tracemalloc there failed with
# "partially initialized module" and a KeyError in the import lock, erroring an unrelated test's set-up.
import tracemalloc  # noqa: F401

pytest_plugins = ["tests.stripe_server"]
