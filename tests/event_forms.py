"""What the organizer's event and stop forms post, for tests that drive them over HTTP."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.events.models import Event, ItineraryStop
from app.timezones import to_local

LOCAL = "%Y-%m-%dT%H:%M"


def local_day(days: int) -> str:
    """A date `days` from now in Tijuana (the forms' zone, and `make_event`'s), as the date part
    of a datetime-local value."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.astimezone(ZoneInfo("America/Tijuana")).strftime("%Y-%m-%d")


def new_event_data(**overrides) -> dict:
    """A valid new stakeholder meeting a month from now, 9–11 in Tijuana."""
    day = local_day(30)
    data = {
        "kind": "stakeholder_meeting",
        "title_en": "Cross-border Logistics Forum",
        "title_es": "Foro de Logística Transfronteriza",
        "description_en": "Shippers and customs brokers compare notes.",
        "description_es": "",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T11:00",
        "timezone": "America/Tijuana",
        "venue": "",
        "capacity": "",
        "guest_limit": "0",
        "rsvp_deadline": "",
        "visibility": "public",
        "slug": "",
    }
    return data | overrides


def edit_data(event: Event, **overrides) -> dict:
    """The edit form as an organizer who changes nothing would post it."""
    zone = event.timezone
    data = {
        "kind": event.kind.value,
        "title_en": event.title_en,
        "title_es": event.title_es or "",
        "description_en": event.description_en,
        "description_es": event.description_es or "",
        "starts_at": to_local(event.starts_at, zone).strftime(LOCAL),
        "ends_at": to_local(event.ends_at, zone).strftime(LOCAL),
        "timezone": zone,
        "venue": str(event.venue_id or ""),
        "hosts": [str(o.id) for o in event.hosts],
        "partners": [str(o.id) for o in event.partners],
        "capacity": "" if event.capacity is None else str(event.capacity),
        "guest_limit": str(event.guest_limit),
        "rsvp_deadline": (
            to_local(event.rsvp_deadline, zone).strftime(LOCAL) if event.rsvp_deadline else ""
        ),
        "visibility": event.visibility.value,
        "slug": event.slug,
    }
    if event.show_both_languages:
        data["show_both_languages"] = "y"
    return data | overrides


def stop_data(stop: ItineraryStop | None = None, **overrides) -> dict:
    if stop is None:
        day = local_day(30)
        data = {
            "title_en": "Otay Mesa port of entry",
            "title_es": "Garita de Otay",
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T11:00",
            "timezone": "America/Tijuana",
            "venue": "",
        }
    else:
        zone = stop.timezone
        data = {
            "title_en": stop.title_en,
            "title_es": stop.title_es or "",
            "starts_at": to_local(stop.starts_at, zone).strftime(LOCAL),
            "ends_at": to_local(stop.ends_at, zone).strftime(LOCAL) if stop.ends_at else "",
            "timezone": zone,
            "venue": str(stop.venue_id or ""),
        }
    return data | overrides
