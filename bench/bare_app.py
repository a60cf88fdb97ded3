"""The framework's floor: a bare Flask endpoint, served exactly like the real app."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>bare</title><p>Hello from bare Flask.</p>"
