"""A bounded load run (locust against gunicorn), part of the suite."""
