"""Convoca: event and RSVP manager for binational organizations."""

from pathlib import Path

from flask import Flask, render_template
from flask_babel import lazy_gettext
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from app import extensions, i18n, models  # noqa: F401  (models: complete metadata)
from app.accounts.services import load_user
from app.catalogs import ensure_compiled_catalogs
from app.errors import ERROR_CODES
from app.logmasking import register_log_masking
from app.privacy import encryption as data_encryption
from app.security import register_security
from app.security_lists.rotation import warn_if_lists_without_key
from config import Config, config_from_env

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: configure it, then bind extensions, blueprints and commands."""
    config_class = config_class or config_from_env()
    if hasattr(config_class, "check"):
        config_class.check()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    ensure_compiled_catalogs(app)  # before Flask-Babel reads where the catalogs are

    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_security(app)
    register_log_masking(app)
    i18n.register_template_helpers(app)
    warn_if_lists_without_key(app)
    return app


def register_extensions(app: Flask) -> None:
    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(MIGRATIONS_DIR), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.mail.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.cache.init_app(app)
    extensions.limiter.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.login_manager.user_loader(load_user)
    extensions.login_manager.login_message = lazy_gettext("Please sign in to continue.")
    data_encryption.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.events.views import bp as events_bp
    from app.feeds.views import bp as feeds_bp
    from app.invitations.views import public_bp as invitation_link_bp
    from app.main.views import bp as main_bp
    from app.organizer.workspace import bp as organizer_bp
    from app.privacy.views import admin_bp as privacy_admin_bp
    from app.privacy.views import bp as privacy_bp
    from app.rsvps.views import bp as rsvps_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(rsvps_bp)
    app.register_blueprint(invitation_link_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(privacy_bp)
    # Sign-in and account pages, partly public (the sign-in form itself).
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizer_bp)
    app.register_blueprint(privacy_admin_bp)  # admins only, under /organizer/privacy-notice


def register_commands(app: Flask) -> None:
    from app.accounts.commands import create_organizer_command
    from app.demo.commands import seed_demo_command
    from app.events.reminders import send_reminders_command
    from app.inbound.commands import receive_mail_command
    from app.mail.commands import send_mail_command
    from app.privacy.commands import purge_personal_data_command
    from app.security_lists.rotation import rotate_data_keys_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(create_organizer_command)
    app.cli.add_command(receive_mail_command)
    app.cli.add_command(purge_personal_data_command)
    app.cli.add_command(rotate_data_keys_command)


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import OperationalError

    from app.errors import render_database_fault, render_error

    for code in ERROR_CODES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(OperationalError, render_database_fault)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400


@sa_event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers run beside a writer, wait for locks."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
