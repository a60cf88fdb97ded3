"""The attendee list of an event, its exports (CSV, Excel) and the printable door list."""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_template,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.audit import services as audit
from app.db_types import utcnow
from app.events import access
from app.events.models import Event
from app.extensions import db
from app.inbound.bounces import bounced_addresses
from app.organizer import exports
from app.organizer.attendee_forms import AttendeeAnswerForm, AttendeeFilterForm, filter_args
from app.organizer.door_list import door_list_rows
from app.organizer.editing import event_or_404
from app.organizer.formatting import local_formatter
from app.organizer.queries import rsvp_counts
from app.pagination import requested_page
from app.rsvps import errors, services
from app.rsvps.attendee_list import AttendeeFilters, ListViewer, attendees_query
from app.rsvps.checkin import is_placeholder_email
from app.rsvps.labels import STATUS_LABELS, error_message
from app.rsvps.models import Rsvp
from app.rsvps.queries import waitlist_position
from app.security_lists.errors import SecurityListError
from app.security_lists.queries import has_details, security_list_of

bp = Blueprint("attendees", __name__)

PAGE_SIZE = 100


def _listed_event(slug: str) -> Event:
    """An event whose attendee list the signed-in account may read: an organizer who manages
    it, or a host account of one of its hosts (only ever the host list). Loaded with all that
    templates read: streamed responses outlive the request's database session."""
    return event_or_404(slug, allowed=access.can_view_host_list)


def _audience(event: Event) -> ListViewer:
    """Whom the list is for: what the export is marked for (`?audience=host`), and always the
    host for an account that may see only the host list."""
    if access.sees_host_list_only(current_account(), event):
        return ListViewer.HOST
    if request.args.get("audience") == ListViewer.HOST:
        return ListViewer.HOST
    return ListViewer.ORGANIZERS


def _filters(event: Event) -> AttendeeFilters:
    """The list's filters, for the audience it is for."""
    return AttendeeFilterForm(request.args).filters(_audience(event))


def _download_name(event: Event, filters: AttendeeFilters, extension: str) -> str:
    suffix = "-host" if filters.for_host else ""
    return f"{event.slug}-attendees{suffix}.{extension}"


@bp.get("/events/<slug>/attendees")
def attendee_list(slug: str):
    event = _listed_event(slug)
    form = AttendeeFilterForm(request.args)
    host_only = access.sees_host_list_only(current_account(), event)
    filters = form.filters(ListViewer.HOST if host_only else ListViewer.ORGANIZERS)
    page = db.paginate(
        attendees_query(event, filters),
        page=requested_page(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "organizer/attendees/list.html",
        event=event,
        form=form,
        page=page,
        host_only=host_only,
        args=filter_args(filters),
        host_args=filter_args(replace(filters, audience=ListViewer.HOST)),
        counts=None if host_only else rsvp_counts([event.id])[event.id],
        status_labels=STATUS_LABELS,
        local_datetime=local_formatter(event),
        is_placeholder_email=is_placeholder_email,
        # Hosts see no addresses, so nothing about them either.
        bounced=set() if host_only else bounced_addresses([r.email for r in page.items]),
    )


@bp.route("/events/<slug>/attendees/<int:rsvp_id>", methods=["GET", "POST"])
def attendee(slug: str, rsvp_id: int):
    """One attendee's RSVP, which an organizer can change for them, even after RSVPs close."""
    event = event_or_404(slug)
    rsvp = db.one_or_404(db.select(Rsvp).where(Rsvp.id == rsvp_id, Rsvp.event_id == event.id))
    has_email = not is_placeholder_email(rsvp.email)
    form = AttendeeAnswerForm.for_rsvp(rsvp, notify=has_email)
    status = 200
    if form.validate_on_submit():
        try:
            services.change_answer(
                rsvp,
                utcnow(),
                **form.answer_changes(),
                by_organizer=True,
                notify=has_email and form.notify.data,
                actor=current_account(),
                details=form.given_details(),
            )
            db.session.commit()
        except errors.RsvpError as error:
            db.session.rollback()
            form.form_errors.append(error_message(error))
            status = 409
        except SecurityListError as error:  # the list changed since the page loaded
            db.session.rollback()
            form.show_error(error)
            status = 409
        else:
            flash(_("%(name)s's answer is saved.", name=rsvp.name), "ok")
            return redirect(url_for(".attendee_list", slug=slug, _anchor=f"rsvp-{rsvp.id}"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "organizer/attendees/attendee.html",
        event=event,
        rsvp=rsvp,
        form=form,
        has_email=has_email,
        status_label=STATUS_LABELS[rsvp.status],
        position=waitlist_position(rsvp),
        local_datetime=local_formatter(event),
        bounced=bounced_addresses([rsvp.email]),
        # Whether the venue's details are on record; never what they are.
        security_list=security_list_of(event),
        details_on_record=has_details(rsvp),
    ), status


def _log_export(event: Event, filters: AttendeeFilters, export_format: str) -> None:
    """Who took which attendee data, recorded before the file leaves."""
    audit.log_now(
        current_account(),
        "exported",
        "attendees",
        event,
        label=export_format,
        audience="host" if filters.for_host else "organizers",
        status=filters.status.value if filters.status else "",
        checked_in="" if filters.checked_in is None else filters.checked_in,
        search=filters.search or "",
    )


@bp.get("/events/<slug>/attendees.csv")
def attendees_csv(slug: str):
    event = _listed_event(slug)
    filters = _filters(event)
    _log_export(event, filters, "CSV")
    chunks = stream_with_context(exports.csv_chunks(event, filters))
    return Response(
        chunks,
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_download_name(event, filters, "csv")}"'
            ),
            "Cache-Control": "no-store",
        },
    )


@bp.get("/events/<slug>/attendees.xlsx")
def attendees_xlsx(slug: str):
    event = _listed_event(slug)
    filters = _filters(event)
    _log_export(event, filters, "Excel")
    response = send_file(
        exports.xlsx_file(event, filters),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=_download_name(event, filters, "xlsx"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<slug>/door-list")
def door_list(slug: str):
    event = _listed_event(slug)
    filters = _filters(event)
    _log_export(event, filters, "door list")
    rows = door_list_rows(event, filters)
    page = stream_template(  # streamed: a long list is sent as it renders
        "organizer/attendees/door_list.html",
        event=event,
        rows=rows,
        filters=filters,
        status_labels=STATUS_LABELS,
        local_datetime=local_formatter(event),
    )
    return Response(page, headers={"Cache-Control": "no-store"})
