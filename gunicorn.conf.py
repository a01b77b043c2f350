"""Gunicorn settings read from the working directory by `make run` and the Procfile's web process."""


def post_worker_init(worker):
    # Load the Chinese word dictionary before the first search needs it (about 1 s), not during it.
    from marketplace.catalog import text

    text.query_terms("预热词典")
