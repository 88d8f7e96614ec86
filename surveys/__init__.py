"""Pathways: surveys for open-source mentorship programmes."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Config, ConfigError, instance_secret_key

__all__ = ["Config", "ConfigError", "create_app"]


def create_app(config: Config | None = None, *, pages: bool = True) -> Flask:
    """Build the application. Raises ConfigError, with one sentence, on a bad setting.

    `pages=False` builds it for a command of the command line, which serves no request:
    without its blueprints and the request hooks, whose modules are a good part of a
    command's start.
    """
    config = config or Config.from_env()
    config.check()
    app = Flask(__name__, instance_relative_config=False)
    instance = Path(app.instance_path)

    database_url = config.database_url
    if database_url is None:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'pathways.db'}"
    secret_key = config.secret_key or instance_secret_key(instance)

    # Our own settings are read from `PATHWAYS` only; the other keys are the ones Flask and
    # its extensions read.
    app.config.update(
        PATHWAYS=config,
        SECRET_KEY=secret_key,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, **config.engine_options},
        MAX_CONTENT_LENGTH=config.max_content_length,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        RATELIMIT_ENABLED=config.ratelimit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
        # The CSRF token lives as long as the session: a survey can take a while to fill.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_I18N_ENABLED=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
        TESTING=config.environment == "testing",
        **config.extra,
    )

    import i18n

    from . import commands, log_redaction
    from .extensions import babel, db
    from .jobs import queue as job_queue

    db.init_app(app)
    job_queue.init_app(app)
    log_redaction.install()
    i18n.init_app(app, babel)
    commands.register(app)
    if pages:
        _add_pages(app, config)
    return app


def _add_pages(app: Flask, config: Config) -> None:
    """What serving requests needs: the blueprints, sign-in, CSRF, limits, headers, errors."""
    from . import admin, errors, security
    from .admin import views as admin_pages  # noqa: F401 - their routes join admin.bp
    from .admin.access import SESSION_LIFETIME, login_manager
    from .blueprints import followup, health, public
    from .extensions import csrf, limiter

    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app, production=config.is_production)
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    for blueprint in (health.bp, public.bp, followup.bp, admin.bp):
        app.register_blueprint(blueprint)
    errors.register(app)
    if config.trusted_proxies:
        # The visitor's own address and scheme, as the load balancer saw them: otherwise
        # every visitor shares its address, and one guesser locks everyone out.
        hops = config.trusted_proxies
        # Flask's documented way to wrap the WSGI app, which mypy takes for a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
