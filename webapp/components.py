"""GOV.UK Frontend components rendered once per set of parameters, then reused.

A govuk-frontend-jinja macro call costs 0.1–0.3 ms (importing its template, its attribute macros,
Jinja's per-expression overhead), and busy pages call the same components with the same
parameters on every request: a back link, a grade tag, the form's buttons. In a template,
``{{ govuk_component("govukButton", {"text": "Save"}) }}`` renders the real macro the first time
and reuses its HTML afterwards, so the markup stays GOV.UK's own and follows upgrades, unlike
markup written out by hand.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

#: Distinct (component, parameters) kept per app; beyond this the cache starts again.
MAX_ENTRIES = 2_000
_WORD = re.compile(r"(?<!^)(?=[A-Z])")


def macro_template(name: str) -> str:
    """``govukBackLink`` → ``govuk_frontend_jinja/components/back-link/macro.html``."""
    if not name.startswith("govuk") or not name[5:]:
        raise ValueError(f"{name!r} is not a GOV.UK Frontend component macro")
    return f"govuk_frontend_jinja/components/{_WORD.sub('-', name[5:]).lower()}/macro.html"


def _key(value: Any) -> Hashable:
    """A hashable copy of macro parameters that tells Markup from plain text and True from 1."""
    if isinstance(value, Markup):
        return ("markup", str(value))
    if value is None or type(value) in (str, int, float, bool):
        return (type(value).__name__, value)
    if isinstance(value, Mapping):
        return ("map", tuple((k, _key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_key(v) for v in value))
    raise TypeError(f"cannot key a {type(value).__name__}")


def govuk_component(name: str, params: Mapping[str, Any]) -> Markup:
    """The HTML of GOV.UK macro ``name`` (e.g. ``govukButton``) called with ``params``."""
    try:
        key: Hashable = (name, _key(params))
    except TypeError:  # an unusual value (an Undefined, an object): render it without keeping it
        key = None
    cache: dict[Hashable, Markup] = current_app.extensions["qa_govuk_components"]
    html = cache.get(key) if key is not None else None
    if html is None:
        macro = getattr(current_app.jinja_env.get_template(macro_template(name)).module, name)
        html = Markup(macro(params))
        if key is not None:
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = html
    return html


def init_app(app: Flask) -> None:
    app.extensions["qa_govuk_components"] = {}
    app.add_template_global(govuk_component, "govuk_component")
