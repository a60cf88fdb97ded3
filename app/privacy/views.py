"""The privacy notice: its public page (any version, in the visitor's language) and the admin's
page that publishes a new version."""

from babel.dates import format_date
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.current import current_account
from app.accounts.views import admin_required
from app.db_types import utcnow
from app.extensions import db
from app.i18n import current_language
from app.privacy import notices
from app.privacy.forms import NoticeForm
from app.transactions import commit_with_retry

bp = Blueprint("privacy", __name__)
admin_bp = Blueprint("privacy_admin", __name__, url_prefix="/organizer/privacy-notice")

MAX_VERSION = 2**31  # the version column is a 32-bit integer

NOTICE_ERRORS = {
    notices.NoticeIncomplete: _l("Please write the notice in both languages."),
    notices.NoticeUnchanged: _l(
        "This is the text of the current version. Change it before publishing a new version."
    ),
}


def published_on(moment) -> str:
    return format_date(moment, "long", locale=current_language())


def _current_notice():
    """The notice in force, committed at once if this request is the one that publishes the
    default (the very first read on a new site)."""
    notice = notices.current_notice()
    db.session.commit()
    return notice


@bp.get("/privacy")
def notice():
    """The notice in the visitor's language; `?version=N` for an earlier one."""
    current = _current_notice()
    version = request.args.get("version", type=int)
    if version is not None and not 0 < version < MAX_VERSION:
        abort(404)  # no such version, and no number the database would refuse to compare
    shown = current if version is None else notices.notice_version(version)
    if shown is None:
        abort(404)
    return render_template(
        "privacy/notice.html",
        notice=shown,
        current=current,
        blocks=notices.notice_blocks(notices.body_in(shown, current_language())),
        versions=notices.versions(),
        published_on=published_on,
    )


@admin_bp.route("", methods=["GET", "POST"])
@admin_required
def edit_notice():
    current = _current_notice()
    form = NoticeForm(body_en=current.body_en, body_es=current.body_es)
    status = 200
    if form.validate_on_submit():
        try:
            published = commit_with_retry(
                lambda: notices.publish_notice(
                    form.body_en.data, form.body_es.data, current_account(), utcnow()
                )
            )
        except notices.NoticeError as error:
            form.form_errors.append(str(NOTICE_ERRORS[type(error)]))
            status = 422
        else:
            flash(
                _(
                    "Version %(version)s of the privacy notice is published.",
                    version=published.version,
                ),
                "ok",
            )
            return redirect(url_for("privacy_admin.edit_notice"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "privacy/edit_notice.html", form=form, current=current, published_on=published_on
    ), status
