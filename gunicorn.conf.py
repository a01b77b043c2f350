"""Gunicorn settings read from the working directory by `make run` and the Procfile's web process."""

import gc


def post_worker_init(worker):
    # Load the Chinese word dictionary before the first search needs it (about 1 s), not during it.
    from marketplace.catalog import text

    text.query_terms("预热词典")
    # Everything loaded so far (the app, its modules, the dictionary) lives as long as the worker: moving it out of
    # the collector's view makes the occasional full collection cheap (measured: 90-130 ms pauses on search
    # requests, each a full pass over the app's objects).
    gc.freeze()
