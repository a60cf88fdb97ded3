"""Seeding the demo calendar (app/demo/data.py, places.py) through the services organizers use.

Each event is created or edited, given its itinerary, published, and sent its invitations and
sample answers by the same functions behind the organizer's forms and the public RSVP form, so
the demo follows the same rules and gets the same derived fields (UID, SEQUENCE, search text…)
as anything an organizer makes. Running it again edits the same rows instead of adding more.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from app.accounts.models import Role
from app.accounts.services import create_user, find_user
from app.demo.data import (
    DEMO_EVENTS,
    DEMO_ORGANIZER_EMAIL,
    DEMO_ORGANIZER_PASSWORD,
    DemoEvent,
    DemoStop,
)
from app.demo.places import ORGANIZATIONS, VENUES
from app.events.crossing_plans import plan_crossing, remove_crossing
from app.events.directory import find_or_create_organization
from app.events.itinerary import StopDetails, add_stop, remove_stop, update_stop
from app.events.models import Event, EventStatus
from app.events.queries import find_event_by_slug
from app.events.services import (
    EventDetails,
    create_event,
    publish_event,
    unpublish_event,
    update_event,
)
from app.invitations.parsing import parse_invitee_lines
from app.invitations.services import invite
from app.privacy.encryption import encryption_available
from app.privacy.notices import current_notice
from app.rsvps.errors import NotInvited
from app.rsvps.queries import email_key, find_rsvp
from app.rsvps.services import Answer, closed_reason, submit_answer
from app.security_lists import venues
from app.security_lists.queries import collects_details
from app.security_lists.services import GivenDetails, configure_list
from app.timezones import to_utc

# The sample documents expire this long after the demo is seeded: always valid on the day.
SAMPLE_DOCUMENT_YEARS = 5


def working_day(day: date, extra_days: int = 0) -> date:
    """Meetings fall on weekdays: a start that would put any of its days on a weekend (a
    two-day event starting on Friday, say) moves to the Monday after."""
    if all((day + timedelta(days=n)).weekday() < 5 for n in range(extra_days + 1)):
        return day
    return day + timedelta(days=7 - day.weekday())


def first_day(spec: DemoEvent, today: date) -> date:
    """The day the event starts when the demo is seeded on `today`."""
    return working_day(today + timedelta(days=spec.day), spec.days - 1)


def local_instant(day: date, clock: str, zone: str) -> datetime:
    """The instant the clocks in `zone` show `clock` ("09:00") on `day`, as the organizer's
    forms compute it: a time in the spring gap is refused (NonexistentLocalTime), one in the
    fall overlap is its first occurrence."""
    return to_utc(datetime.combine(day, time.fromisoformat(clock)), zone)


def event_details(spec: DemoEvent, first: date) -> EventDetails:
    """What an organizer would submit in the event form for `spec`, starting on `first`."""
    last = first + timedelta(days=spec.days - 1)
    deadline = None
    if spec.deadline_days_before is not None:
        deadline_day = first - timedelta(days=spec.deadline_days_before)
        deadline = local_instant(deadline_day, spec.start, spec.zone)
    return EventDetails(
        kind=spec.kind,
        title_en=spec.title_en,
        title_es=spec.title_es,
        description_en=spec.description_en,
        description_es=spec.description_es,
        starts_at=local_instant(first, spec.start, spec.zone),
        ends_at=local_instant(last, spec.end, spec.zone),
        timezone=spec.zone,
        new_venue=VENUES[spec.venue] if spec.venue else None,
        new_hosts=[ORGANIZATIONS[key].name for key in spec.hosts],
        new_partners=[ORGANIZATIONS[key].name for key in spec.partners],
        capacity=spec.capacity,
        guest_limit=spec.guest_limit,
        rsvp_deadline=deadline,
        visibility=spec.visibility,
        slug=spec.slug,
    )


def stop_details(stop: DemoStop, first: date) -> StopDetails:
    """What an organizer would submit in the stop form, for a visit starting on `first`."""
    day = first + timedelta(days=stop.day)
    return StopDetails(
        title_en=stop.title_en,
        title_es=stop.title_es,
        starts_at=local_instant(day, stop.start, stop.zone),
        ends_at=local_instant(day, stop.end, stop.zone),
        timezone=stop.zone,
        new_venue=VENUES[stop.venue],
    )


def seed_demo(today: date, now: datetime | None = None) -> list[Event]:
    """Create or refresh the demo events around `today`; returns them. Caller commits.

    `now` (default: the current time) is when the sample invitations and answers are sent;
    events that no longer take answers at `now` get none.
    """
    now = now or datetime.now(UTC)
    _describe_organizations()
    return [_seed_event(spec, today, now) for spec in DEMO_EVENTS]


def _describe_organizations() -> None:
    """Short names and websites, on the organizations found or created as an organizer's
    "other hosts" are. No organizer form sets these two yet, so the demo writes them here."""
    for organization in ORGANIZATIONS.values():
        found = find_or_create_organization(organization.name)
        found.short_name = organization.short_name
        found.website = organization.website


def _seed_event(spec: DemoEvent, today: date, now: datetime) -> Event:
    first = first_day(spec, today)
    details = event_details(spec, first)
    event = find_event_by_slug(spec.slug)
    if event is None:
        event = create_event(details)
    elif event.is_cancelled:
        return event  # an organizer cancelled it while trying the demo: that is for good
    else:
        update_event(event, details, now)
    _seed_itinerary(event, spec, first, now)
    _seed_security_list(event, spec, first)
    if spec.status is EventStatus.PUBLISHED and event.status is EventStatus.DRAFT:
        publish_event(event, now)
    elif spec.status is EventStatus.DRAFT and event.status is EventStatus.PUBLISHED:
        unpublish_event(event)
    _seed_guests(event, spec, now)
    return event


def _seed_itinerary(event: Event, spec: DemoEvent, first: date, now: datetime) -> None:
    """The visit's stops, in order: existing ones edited in place, missing ones added, extra
    ones removed. Unchanged stops are left alone, so calendars see no new SEQUENCE."""
    for position, stop in enumerate(spec.stops):
        details = stop_details(stop, first)
        if position < len(event.stops):
            update_stop(event.stops[position], details, now)
        else:
            add_stop(event, details, now)
    for extra in reversed(event.stops[len(spec.stops) :]):
        remove_stop(extra, now)
    # Then the crossings, once every stop is in its place and time.
    for stop, wanted in zip(event.stops, spec.stops, strict=True):
        if wanted.crossing is None:
            remove_crossing(stop)
        else:
            crossing = wanted.crossing
            plan_crossing(stop, crossing.port, crossing.lane, crossing.allowance_minutes)


def _seed_security_list(event: Event, spec: DemoEvent, first: date) -> None:
    """The venue's list, as an organizer turns it on. A server without an encryption key
    collects no details, so its demo has no lists (and its sample answers need none)."""
    wanted = spec.security_list
    if wanted is None or not encryption_available():
        return
    due_day = first - timedelta(days=wanted.due_days_before)
    configure_list(
        event,
        template=wanted.template,
        vehicle=wanted.vehicle,
        fields=None,
        due_at=local_instant(due_day, spec.start, spec.zone),
    )


def _with_details(event: Event, spec: DemoEvent, sample: Answer, now: datetime) -> Answer:
    """The sample answer with its security details, when the event's list asks for them."""
    if not sample.attending or collects_details(event) is None:
        return sample
    values = dict(dict(spec.security_details)[sample.email])
    expiry = now.date().replace(year=now.year + SAMPLE_DOCUMENT_YEARS, day=1)
    values.setdefault(venues.ID_EXPIRY, expiry.isoformat())
    return replace(sample, security=GivenDetails(values, current_notice().version))


def _seed_guests(event: Event, spec: DemoEvent, now: datetime) -> None:
    """Invite the sample invitees and record the sample answers, as they would themselves.

    Addresses that already answered are left as they are, so that running the demo again
    sends them nothing: even a repeated public answer would email its owner their link.
    """
    if closed_reason(event, now) is not None:
        return  # a draft, or an event that takes no more answers (or invitations)
    invitations = {}
    if spec.invitees:
        report = invite(event, parse_invitee_lines("\n".join(spec.invitees)), "en", now)
        invitations = {
            line.invitation.email_key: line.invitation
            for line in report.lines
            if line.invitation is not None
        }
    for sample in spec.answers:
        if find_rsvp(event, sample.email) is not None:
            continue
        answer = _with_details(event, spec, sample, now)
        try:
            submit_answer(event, answer, now, invitations.get(email_key(sample.email)))
        except NotInvited:
            continue  # an organizer revoked this invitee's invitation before they answered


def seed_demo_organizer() -> bool:
    """Create the demo admin account unless it exists; True if it was created."""
    if find_user(DEMO_ORGANIZER_EMAIL) is not None:
        return False
    create_user(DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD, Role.ADMIN, "Demo Organizer")
    return True
