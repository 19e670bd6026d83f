"""The yardstick for bench_recommend.py's HTTP figures: Flask with one JSON endpoint and nothing else.

Served by gunicorn with the worker model gunicorn.conf.py ships, it measures what the framework and the server
cost on this machine, so that the service's own per-request machinery and its scoring can be read against it.
"""

import flask

app = flask.Flask(__name__)


@app.get("/ping")
def ping():
    return {"status": "ok"}
