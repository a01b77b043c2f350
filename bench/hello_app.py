"""The baseline of the HTTP benchmarks: the smallest Flask app, served by gunicorn exactly as the exchange is.

    gunicorn -w 2 --chdir bench hello_app:app

Its requests per second are what Flask and gunicorn cost on this machine at this moment; the exchange's endpoints
are reported as a ratio to it, measured in the same run, so the figure travels between machines and loads better
than a bare requests-per-second number. `/json` answers a small JSON object, as an API endpoint would.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"


@app.get("/json")
def hello_json():
    return jsonify(hello="world")
