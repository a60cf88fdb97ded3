"""Signing in and out, and (for admins) managing organizer accounts."""

from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from app.accounts import services
from app.accounts.current import current_account
from app.accounts.forms import ChangePasswordForm, LoginForm, NewAccountForm
from app.accounts.labels import error_message
from app.accounts.models import Role, User
from app.database_faults import is_database_fault
from app.db_types import utcnow
from app.errors import RETRY_AFTER_SECONDS
from app.events.lookups import organizations_by_name
from app.events.models import Organization
from app.extensions import db, limiter
from app.forms import ActionForm
from app.i18n import current_language
from app.tokens import Purpose, find_by_token
from app.urls import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/organizer")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# When the browser signed in (seconds since the epoch): the session ends PERMANENT_SESSION_LIFETIME
# later however active it is. The session cookie's own expiry moves with every request.
SIGNED_IN_AT = "signed_in_at"


@bp.before_app_request
def end_sessions_past_their_lifetime():
    """Sign out a session older than PERMANENT_SESSION_LIFETIME before anything uses it."""
    if "_user_id" not in session:  # Flask-Login's key: only signed-in sessions are checked
        return
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    if services.session_expired(session.get(SIGNED_IN_AT), utcnow(), lifetime):
        logout_user()
        session.pop(SIGNED_IN_AT, None)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("organizer.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = services.authenticate(
                form.email.data, form.password.data, now, request.remote_addr, current_language()
            )
            db.session.commit()  # failures are counted even though sign-in is refused
        except OperationalError as error:
            db.session.rollback()
            if not is_database_fault(error):
                raise
            current_app.logger.error("sign-in not possible, database fault: %s", error.orig)
            form.form_errors.append(
                _("We can't sign you in right now. Please try again in a few minutes.")
            )
            page = render_template("accounts/login.html", form=form)
            return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if user is not None:
            session.permanent = True  # the cookie outlives the browser, not the lifetime
            session[SIGNED_IN_AT] = now.timestamp()
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("organizer.dashboard")))
        form.form_errors.append(
            _(
                "That email and password didn't match an account, or there were too many "
                "attempts. Check them and try again in a few minutes."
            )
        )
        return render_template("accounts/login.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if not ActionForm().validate_on_submit():
        abort(400)
    # A new nonce ends this session on the server too: a copy of the cookie (stolen, or left
    # in another browser) no longer signs anyone in.
    services.rotate_sessions(current_account())
    db.session.commit()
    logout_user()
    session.pop(SIGNED_IN_AT, None)
    flash(_("You're signed out."), "ok")
    return redirect(url_for("events.index"))


@bp.route("/unlock/<token>", methods=["GET", "POST"])
def unlock(token: str):
    """The emailed link that lifts sign-in waits. Opening it changes nothing (mail scanners
    open links); the button on the page does, once."""
    user = find_by_token(token, Purpose.ACCOUNT_UNLOCK)
    if user is None:
        return render_template("accounts/unlock.html", form=None), 404
    form = ActionForm()
    if form.validate_on_submit():
        services.unlock(user)
        db.session.commit()
        flash(_("Sign-in is unlocked. You can sign in now."), "ok")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/unlock.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("accounts/password.html", form=form), (
            422 if form.is_submitted() else 200
        )
    if not check_password_hash(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append(_("That is not your current password."))
        return render_template("accounts/password.html", form=form), 422
    user = current_account()
    try:
        services.set_password(user, form.new_password.data)
    except services.AccountError as error:
        form.new_password.errors.append(error_message(error))
        return render_template("accounts/password.html", form=form), 422
    db.session.commit()
    login_user(user)  # the session id changed with the password: keep this browser signed in
    flash(_("Your password has been changed. Other browsers were signed out."), "ok")
    return redirect(url_for("organizer.dashboard"))


@bp.route("/accounts", methods=["GET", "POST"])
@admin_required
def accounts():
    form = NewAccountForm()
    form.offer(organizations_by_name())
    status = 200
    if form.validate_on_submit():
        chosen = form.organization_id
        organization = db.session.get(Organization, chosen) if chosen is not None else None
        try:
            user = services.create_user(
                form.email.data,
                form.password.data,
                Role(form.role.data),
                form.name.data,
                organization=organization,
            )
        except services.AccountError as error:
            if isinstance(error, services.HostNeedsOrganization):
                form.organization.errors.append(error_message(error))
            else:
                form.form_errors.append(error_message(error))
            status = 409 if isinstance(error, services.EmailTaken) else 422
        else:
            db.session.commit()
            flash(_("Account created for %(email)s.", email=user.email), "ok")
            return redirect(url_for("accounts.accounts"))
    elif form.is_submitted():
        status = 422
    users = db.session.scalars(
        db.select(User).options(selectinload(User.organization)).order_by(User.email)
    ).all()
    return render_template(
        "accounts/accounts.html", form=form, users=users, action_form=ActionForm()
    ), status


@bp.post("/accounts/<int:user_id>/active")
@admin_required
def toggle_active(user_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(409, _("You can't deactivate your own account."))
    user.active = not user.active
    services.rotate_sessions(user)  # a deactivated account is signed out everywhere
    db.session.commit()
    return redirect(url_for("accounts.accounts"))


@bp.post("/accounts/<int:user_id>/security-lists")
@admin_required
def security_list_access(user_id: int):
    """Grant (`allowed=1`) or revoke (`allowed=0`) seeing security lists. An explicit value,
    not a toggle: a form sent twice must not undo itself."""
    if not ActionForm().validate_on_submit() or request.form.get("allowed") not in ("0", "1"):
        abort(400)
    user = db.get_or_404(User, user_id)
    allowed = request.form["allowed"] == "1"
    try:
        services.set_security_list_access(user, allowed, actor=current_account())
    except services.AccountError as error:
        abort(409, error_message(error))
    db.session.commit()
    if allowed:
        flash(_("%(email)s can now see and export security lists.", email=user.email), "ok")
    else:
        flash(_("%(email)s can no longer see security lists.", email=user.email), "ok")
    return redirect(url_for("accounts.accounts"))
