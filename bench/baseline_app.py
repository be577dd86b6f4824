"""The baseline: a bare Flask app rendering a plain 60-question form, with no database, sessions or CSRF.

It is what the real checklist page is measured against (docs/domain-notes.md §5).
"""

from __future__ import annotations

from flask import Flask, redirect, render_template_string, request
from werkzeug.wrappers import Response

QUESTIONS = [
    (f"Q{n:02d}", f"Question {n}: is the provision specific, quantified and linked to a need?") for n in range(1, 61)
]

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Checklist</title></head><body>
<main><h1>Checklist</h1><form method="post" action="/form">
{% for section in range(10) %}<h2>Section {{ section + 1 }}</h2>
{% for qid, text in questions[section * 6:(section + 1) * 6] %}
<fieldset><legend>{{ qid }} {{ text }}</legend>
{% for value, label in ratings -%}
<label><input type="radio" name="rating-{{ qid }}" value="{{ value }}"> {{ label }}</label>
{%- endfor %}
<label for="evidence-{{ qid }}">Evidence</label><textarea id="evidence-{{ qid }}" name="evidence-{{ qid }}"></textarea>
</fieldset>{% endfor %}{% endfor %}
<button type="submit">Save</button></form></main></body></html>"""
RATINGS = [
    ("met", "Met"),
    ("partially_met", "Partially met"),
    ("not_met", "Not met"),
    ("not_applicable", "N/A"),
    ("", "None"),
]

app = Flask(__name__)


@app.get("/form")
def form() -> str:
    return render_template_string(PAGE, questions=QUESTIONS, ratings=RATINGS)


@app.post("/form")
def save() -> Response:
    answers = {
        qid: (request.form.get(f"rating-{qid}"), request.form.get(f"evidence-{qid}", "")) for qid, _ in QUESTIONS
    }
    assert len(answers) == 60
    return redirect("/form", code=303)
