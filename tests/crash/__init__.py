"""Crash-consistency harness: gunicorn, writers with idempotency keys, kill -9, restart, verify."""
