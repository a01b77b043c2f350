"""The app's fixtures (Flask, a database) for the marketplace tests."""

from tests.fixtures import _postgres_schema, app, client, world  # noqa: F401  (the fixtures of this folder)
