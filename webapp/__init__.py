"""The web app: a Flask application factory wiring GOV.UK Frontend, security and blueprints."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, url_for
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import access, auth, components, db, errors, jobs, navigation, pages, presenters, security, throttling
from webapp.config import DefaultConfig, finalise_config
from webapp.extensions import csrf, login_manager

INSTANCE_PATH_ENV = "QA_INSTANCE_PATH"
# Next to the package in a source checkout. An installed package would otherwise get
# `<prefix>/var/webapp-instance` from Flask, so deployments set QA_INSTANCE_PATH.
DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance `config.py`, `QA_*` env vars, then `test_config`."""
    instance_path = os.path.abspath(os.environ.get(INSTANCE_PATH_ENV) or DEFAULT_INSTANCE_PATH)
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    _load_config(app, test_config)
    _init_proxy(app)
    _init_jinja(app)
    from webapp.admin import uploads

    uploads.init_app(app)  # the upload route's own body limit, before any hook parses a form
    security.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    errors.init_app(app)
    return app


def _load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Later sources win, so an instance file or env var can override any default.

    ``SECRET_KEY`` is also read without the prefix, like ``DATABASE_URL`` and ``REDIS_URL``.
    """
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.from_prefixed_env("QA")
    if test_config is not None:
        app.config.from_mapping(test_config)
    finalise_config(app)


def _init_jinja(app: Flask) -> None:
    """Our templates first, then the GOV.UK macro packages under their own prefixes."""
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(Path(app.root_path) / "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.add_template_global(_asset_url, "asset_url")
    presenters.init_app(app)
    from webapp.audits import rendering

    rendering.init_app(app)
    components.init_app(app)
    WTFormsHelpers(app)


def _init_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* from PROXY_FIX_COUNT proxies, so client IPs (rate limits) and https are real."""
    count = int(app.config["PROXY_FIX_COUNT"] or 0)
    if count:
        # Flask's documented way to add WSGI middleware; mypy sees wsgi_app as a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def _init_extensions(app: Flask) -> None:
    """Bind the module-level extensions (webapp.extensions) to this app."""
    csrf.init_app(app)
    login_manager.init_app(app)
    db.init_app(app)
    throttling.init_app(app)
    jobs.init_app(app)
    access.init_app(app)
    navigation.init_app(app)


def _register_blueprints(app: Flask) -> None:
    """One blueprint per user journey; public pages first.

    The journeys are imported here, not at the top of the module, because each imports
    ``webapp.access`` and the extensions, which must exist before the app does.
    """
    from webapp import (
        actions,
        admin,
        audits,
        board,
        cases,
        home,
        learning,
        moderation,
        oversight,
        panels,
        peer,
        reports,
        reviews,
    )

    for blueprint in (pages.bp, auth.bp, home.bp, cases.bp, audits.bp, admin.bp, peer.bp, actions.bp, oversight.bp,
                      learning.bp, moderation.bp, panels.bp, reviews.bp, reports.bp, jobs.bp, board.bp):
        app.register_blueprint(blueprint)


_asset_hashes: dict[tuple[str, int, int], str] = {}
URL_CACHE_SIZE = 256


def _asset_url(filename: str) -> str:
    """URL of a static file with a short content hash, so it can be cached for a year.

    Falls back to the plain URL when the file is missing (assets not built yet), so pages
    still render and the missing stylesheet is obvious in the browser, not a 500. The URL is
    kept per app while the file's size and modification time stay the same: building it with
    url_for took a fifth of the layout's rendering time.
    """
    path = os.path.join(current_app.static_folder or "", filename)
    try:
        stat = os.stat(path)
    except OSError:
        return url_for("static", filename=filename)
    urls: dict[tuple[str, int, int, str], str] = current_app.extensions.setdefault("qa_asset_urls", {})
    key = (path, stat.st_mtime_ns, stat.st_size, request.script_root)
    url = urls.get(key)
    if url is None:
        digest = _asset_hashes.get(key[:3])
        if digest is None:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
            _asset_hashes[key[:3]] = digest
        if len(urls) >= URL_CACHE_SIZE:
            urls.clear()
        url = urls[key] = url_for("static", filename=filename, v=digest)
    return url
