"""The yardsticks ``load.py`` serves under the same gunicorn settings as Coop: hello-world, and
a one-query Flask page (Flask-SQLAlchemy, one indexed row from the same database, rendered by
Jinja). ``gunicorn bench.load_baseline:app`` with ``DATABASE_URL`` set."""

import os
import random

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)

PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{{ name }}</title>
<h1>{{ name }}</h1><p>{{ address }}</p></html>"""


@app.get("/hello")
def hello():
    return "hello"


@app.get("/one-query")
def one_query():
    row = db.session.execute(
        sa.text("SELECT name, address FROM communities ORDER BY id LIMIT 1 OFFSET :k"),
        {"k": random.randrange(10)},
    ).one()
    return render_template_string(PAGE, name=row.name, address=row.address)
