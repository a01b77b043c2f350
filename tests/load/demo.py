"""`flask --app app demo load` for a scratch deployment: the same loader, but the generated passwords go to the
directory given, not to the checkout's instance/demo-accounts.txt (which a developer's `make run` relies on).

    python -m tests.load.demo DIRECTORY      # DATABASE_URL and the other settings from the environment
"""

from __future__ import annotations

import json
import sys

from marketplace import demo
from marketplace.app_factory import create_app


def main(directory: str) -> None:
    app = create_app()
    app.instance_path = directory
    with app.app_context():
        print(json.dumps(demo.load(), ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
