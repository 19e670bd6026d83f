"""The yardstick for bench_recommend.py's HTTP figures: Flask with two JSON endpoints and nothing else.

Served by gunicorn with the worker model gunicorn.conf.py ships, it measures what the framework and the server
cost on this machine, so that the service's own per-request machinery and its scoring can be read against it.
`GET /ping` is the smallest exchange; `POST /answer` reads a JSON body and sends back the bytes of the file
BENCH_BARE_ANSWER names (the bench puts one of the service's own answers there): the same exchange as a
recommendation, with nothing computed.
"""

import os
from pathlib import Path

import flask

app = flask.Flask(__name__)
ANSWER = Path(os.environ["BENCH_BARE_ANSWER"]).read_bytes() if "BENCH_BARE_ANSWER" in os.environ else b'{"status":"ok"}'


@app.get("/ping")
def ping():
    return {"status": "ok"}


@app.post("/answer")
def answer():
    flask.request.get_json()
    return flask.Response(ANSWER, mimetype="application/json")
