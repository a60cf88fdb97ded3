"""Organizers create, edit, publish, duplicate and cancel events, and plan a visit's stops."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.events.models import (
    Event,
    EventKind,
    EventStatus,
    ItineraryStop,
    Organization,
    Venue,
    Visibility,
)
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.event_forms import edit_data, local_day, new_event_data, stop_data


def find(slug: str) -> Event:
    return db.session.scalar(db.select(Event).where(Event.slug == slug))


def error_next_to(html: str, field: str) -> str:
    """The error message shown right after a field (the `field` macro's <p id=...-error>)."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown for {field}"
    return match.group(1)


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


# Creating


def test_new_event_form_offers_the_border_zones_and_lists_venues_and_organizations(
    client, organizer, make_venue, make_organization
):
    make_venue(name="Tijuana Trade Center")
    make_organization("Instituto Tecnológico de Tijuana")
    db.session.commit()
    page = client.get("/organizer/events/new")
    assert page.status_code == 200
    for zone in ("America/Tijuana", "America/Los_Angeles", "America/Mexico_City"):
        assert f'<option value="{zone}">' in page.text
    assert '<optgroup label="Mexico">' in page.text
    assert "Tijuana Trade Center" in page.text
    assert "Instituto Tecnológico de Tijuana" in page.text
    assert 'type="datetime-local"' in page.text


def test_creating_an_event_saves_a_draft_with_times_in_utc(client, organizer, make_organization):
    itj = make_organization("Instituto Tecnológico de Tijuana")
    db.session.commit()
    day = local_day(40)
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(
            starts_at=f"{day}T09:00",
            ends_at=f"{day}T17:30",
            timezone="America/Mexico_City",
            hosts=[str(itj.id)],
            new_partners="San Diego Regional Chamber of Commerce\nINDEX Tijuana\n",
            capacity="80",
            guest_limit="2",
            rsvp_deadline=f"{day}T08:00",
            visibility="invite_only",
            show_both_languages="y",
            new_venue_name="Tijuana Trade Center",
            new_venue_address="Blvd. Misión de San Javier 10643",
            new_venue_city="Tijuana",
            new_venue_region="BC",
            new_venue_country="MX",
        ),
    )
    assert response.status_code == 302
    assert response.location == "/organizer/events/cross-border-logistics-forum"

    event = find("cross-border-logistics-forum")
    assert event.status is EventStatus.DRAFT
    assert event.title_es == "Foro de Logística Transfronteriza"
    assert event.description_es is None  # blank stays blank, not ""
    mexico_city = ZoneInfo("America/Mexico_City")
    local_start = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=mexico_city)
    assert event.starts_at == local_start.astimezone(UTC)
    assert event.ends_at - event.starts_at == timedelta(hours=8, minutes=30)
    assert event.rsvp_deadline == event.starts_at - timedelta(hours=1)
    assert event.timezone == "America/Mexico_City"
    assert event.capacity == 80 and event.guest_limit == 2
    assert event.visibility is Visibility.INVITE_ONLY and event.show_both_languages
    assert event.venue.name == "Tijuana Trade Center" and event.venue.country == "MX"
    assert [o.name for o in event.hosts] == ["Instituto Tecnológico de Tijuana"]
    assert [o.name for o in event.partners] == [
        "San Diego Regional Chamber of Commerce",
        "INDEX Tijuana",
    ]
    assert event.sequence == 0
    assert outbox() == []  # a draft emails nobody

    page = client.get(response.location)
    assert "Draft saved" in page.text


def test_a_blank_capacity_means_no_limit_and_an_existing_venue_can_be_picked(
    client, organizer, make_venue
):
    venue = make_venue(name="Consulate")
    db.session.commit()
    client.post("/organizer/events/new", data=new_event_data(venue=str(venue.id)))
    event = find("cross-border-logistics-forum")
    assert event.capacity is None
    assert event.venue_id == venue.id


def test_a_new_venue_that_exists_already_is_reused(client, organizer, make_venue):
    venue = make_venue(name="Tijuana Trade Center", city="Tijuana")
    db.session.commit()
    client.post(
        "/organizer/events/new",
        data=new_event_data(
            new_venue_name="tijuana trade center", new_venue_city="TIJUANA", new_venue_country="MX"
        ),
    )
    assert find("cross-border-logistics-forum").venue_id == venue.id
    assert db.session.scalar(db.select(db.func.count()).select_from(Venue)) == 1


def test_an_end_before_the_start_is_refused_next_to_the_end(client, organizer):
    day = local_day(30)
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(starts_at=f"{day}T11:00", ends_at=f"{day}T09:00"),
    )
    assert response.status_code == 422
    assert error_next_to(response.text, "ends_at") == "The end must be after the start."
    assert 'aria-describedby="ends_at-error"' in response.text  # tied to the field
    assert "Please check the form" in response.text
    assert db.session.scalar(db.select(Event)) is None


def test_an_unknown_time_zone_is_refused(client, organizer):
    response = client.post("/organizer/events/new", data=new_event_data(timezone="Baja/Tijuana"))
    assert response.status_code == 422
    assert "Unknown time zone" in error_next_to(response.text, "timezone")
    assert db.session.scalar(db.select(Event)) is None


def test_any_iana_zone_is_accepted_and_stored_canonically(client, organizer):
    response = client.post("/organizer/events/new", data=new_event_data(timezone="europe/madrid"))
    assert response.status_code == 302
    assert find("cross-border-logistics-forum").timezone == "Europe/Madrid"


def test_a_time_in_the_dst_gap_is_refused_with_a_clear_message(client, organizer):
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(starts_at="2027-03-14T02:30", ends_at="2027-03-14T05:00"),
    )
    assert response.status_code == 422
    message = error_next_to(response.text, "starts_at")
    assert "2027-03-14 02:30 doesn&#39;t exist in America/Tijuana" in message
    assert "daylight saving time" in message and "03:30" in message
    assert db.session.scalar(db.select(Event)) is None


def test_an_ambiguous_fall_time_is_saved_as_the_first_occurrence_and_said_so(client, organizer):
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(starts_at="2027-11-07T01:30", ends_at="2027-11-07T04:00"),
    )
    assert response.status_code == 302
    event = find("cross-border-logistics-forum")
    assert event.starts_at == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # 01:30 PDT
    page = client.get(response.location)
    assert "happens twice in America/Tijuana" in page.text


def test_missing_and_malformed_fields_are_explained(client, organizer):
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(title_en="", starts_at="", ends_at="next tuesday", capacity="0"),
    )
    assert response.status_code == 422
    assert error_next_to(response.text, "title_en") == "Please enter a title."
    assert error_next_to(response.text, "starts_at") == "Please enter when the event starts."
    assert "Please enter a date and time" in error_next_to(response.text, "ends_at")
    assert "1 or more" in error_next_to(response.text, "capacity")


def test_the_rsvp_deadline_must_come_before_the_start(client, organizer):
    day = local_day(30)
    response = client.post(
        "/organizer/events/new", data=new_event_data(rsvp_deadline=f"{day}T10:00")
    )
    assert response.status_code == 422
    assert "before the start" in error_next_to(response.text, "rsvp_deadline")


def test_an_organization_cannot_be_both_host_and_partner(client, organizer, make_organization):
    itj = make_organization("ITJ")
    db.session.commit()
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(hosts=[str(itj.id)], partners=[str(itj.id)]),
    )
    assert response.status_code == 422
    assert "host or a partner, not both" in error_next_to(response.text, "partners")
    # The same clash reached by typing the host's name as a new partner.
    response = client.post(
        "/organizer/events/new", data=new_event_data(hosts=[str(itj.id)], new_partners="itj")
    )
    assert response.status_code == 409
    assert "ITJ can be a host or a partner, not both." in error_next_to(response.text, "partners")
    assert db.session.scalar(db.select(Event)) is None


def test_a_new_venue_needs_a_city(client, organizer):
    response = client.post("/organizer/events/new", data=new_event_data(new_venue_name="ITJ"))
    assert response.status_code == 422
    assert "city" in error_next_to(response.text, "new_venue_city")


def test_markup_in_titles_is_shown_as_text(client, organizer):
    client.post(
        "/organizer/events/new",
        data=new_event_data(title_en="<script>alert(1)</script> Forum", slug="forum"),
    )
    page = client.get("/organizer/events/forum")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Forum" in page.text


# Slugs


def test_slugs_come_from_the_english_title_and_stay_unique(client, organizer):
    data = new_event_data(title_en="Reunión del Consejo: Junio")
    assert client.post("/organizer/events/new", data=data).location.endswith(
        "/reunion-del-consejo-junio"
    )
    assert client.post("/organizer/events/new", data=data).location.endswith(
        "/reunion-del-consejo-junio-2"
    )
    # "new" would collide with the organizer's own /organizer/events/new.
    assert client.post(
        "/organizer/events/new", data=new_event_data(title_en="New")
    ).location.endswith("/new-2")


def test_a_chosen_slug_must_be_free_and_well_formed(client, organizer, make_event):
    make_event(slug="board-june")
    response = client.post("/organizer/events/new", data=new_event_data(slug="board-june"))
    assert response.status_code == 409
    assert "taken" in error_next_to(response.text, "slug")
    response = client.post("/organizer/events/new", data=new_event_data(slug="Board June!"))
    assert response.status_code == 422
    assert "lowercase letters" in error_next_to(response.text, "slug")
    response = client.post("/organizer/events/new", data=new_event_data(slug="new"))
    assert response.status_code == 409


def test_the_slug_can_change_while_a_draft(client, organizer, make_event):
    event = make_event(slug="draft-one", status=EventStatus.DRAFT)
    response = client.post(
        "/organizer/events/draft-one/edit", data=edit_data(event, slug="board-meeting-july")
    )
    assert response.status_code == 302
    assert response.location == "/organizer/events/board-meeting-july"
    assert find("board-meeting-july").id == event.id


def test_the_slug_stays_stable_once_published(client, organizer, make_event):
    event = make_event(slug="board-june")
    page = client.get("/organizer/events/board-june/edit")
    assert 'name="slug"' not in page.text
    assert "The address can't change any more" in page.text
    response = client.post(
        "/organizer/events/board-june/edit",
        data=edit_data(event, slug="something-else", title_en="Board meeting, renamed"),
    )
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.slug == "board-june"
    assert event.title_en == "Board meeting, renamed"


def test_an_unpublished_event_that_took_answers_keeps_its_slug(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(slug="board-june")
    answer_rsvp(event)
    client.post("/organizer/events/board-june/unpublish")
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT
    assert 'name="slug"' not in client.get("/organizer/events/board-june/edit").text


# Status changes


def test_publishing_and_unpublishing_a_draft(app, client, organizer, make_event):
    public = app.test_client()  # organizers preview drafts; the public must not see them
    event = make_event(slug="forum", status=EventStatus.DRAFT)
    assert public.get("/events/forum").status_code == 404

    response = client.post("/organizer/events/forum/publish")
    assert response.status_code == 302
    assert "on the calendar" in client.get(response.location).text
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
    assert event.sequence == 1
    assert public.get("/events/forum").status_code == 200

    client.post("/organizer/events/forum/unpublish")
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT
    assert event.sequence == 2
    assert public.get("/events/forum").status_code == 404


def test_only_a_draft_can_be_published(client, organizer, make_event):
    event = make_event(slug="forum")
    response = client.post("/organizer/events/forum/publish", follow_redirects=True)
    assert "Only a draft can be published." in response.text
    db.session.refresh(event)
    assert event.sequence == 0


def test_action_buttons_need_the_csrf_token(app, client, organizer, make_event):
    event = make_event(slug="forum", status=EventStatus.DRAFT)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/organizer/events/forum/publish").status_code == 400
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT


def test_the_event_page_links_to_the_public_page_and_offers_post_buttons(
    client, organizer, make_event
):
    make_event(slug="forum", status=EventStatus.DRAFT)
    page = client.get("/organizer/events/forum")
    assert page.status_code == 200
    assert 'href="/events/forum"' in page.text
    assert 'href="/organizer/events/forum/edit"' in page.text
    for action in ("publish", "duplicate"):
        form = re.search(
            rf'<form method="post" action="/organizer/events/forum/{action}".*?</form>',
            page.text,
            re.S,
        )
        assert form and 'name="csrf_token"' in form.group(0), action
    assert "/organizer/events/forum/unpublish" not in page.text
    assert 'href="/organizer/events/forum/cancel"' in page.text


def test_dashboard_and_nav_lead_to_event_management(client, organizer, make_event):
    make_event(slug="forum")
    page = client.get("/organizer/")
    assert 'href="/organizer/events/forum"' in page.text
    assert 'href="/organizer/events/new"' in page.text


def test_anonymous_visitors_cannot_manage_events(client, make_event):
    event = make_event(slug="forum", status=EventStatus.DRAFT)
    for url in ("/organizer/events/new", "/organizer/events/forum"):
        assert client.get(url).location.startswith("/organizer/login?next=")
    assert client.post("/organizer/events/forum/publish").status_code == 302
    assert client.post("/organizer/events/new", data=new_event_data()).status_code == 302
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 1


def test_unknown_events_and_stops_are_404(client, organizer, make_event):
    make_event(slug="forum", kind=EventKind.VISIT)
    assert client.get("/organizer/events/nope").status_code == 404
    assert client.get("/organizer/events/forum/stops/999/edit").status_code == 404


# Duplicating


def test_duplicating_copies_every_field_stop_and_organization_into_a_new_draft(
    client, organizer, make_event, make_organization, make_venue
):
    hosts = [make_organization("SBC"), make_organization("ITJ")]
    partner = make_organization("SDRCC")
    stop_venue = make_venue(name="Otay Mesa", city="San Diego", region="CA", country="US")
    event = make_event(
        slug="visit-otay",
        kind=EventKind.VISIT,
        visibility=Visibility.INVITE_ONLY,
        title_es="Visita a Otay",
        description_es="Recorrido.",
        capacity=25,
        guest_limit=1,
        show_both_languages=True,
        hosts=hosts,
        partners=[partner],
        sequence=4,
        reminder_sent_at=datetime.now(UTC),
    )
    event.rsvp_deadline = event.starts_at - timedelta(days=2)
    event.stops = [
        ItineraryStop(
            position=0,
            title_en="Port of entry",
            starts_at=event.starts_at,
            ends_at=event.starts_at + timedelta(hours=1),
            timezone="America/Los_Angeles",
            venue=stop_venue,
        ),
        ItineraryStop(
            position=1, title_en="Lunch", starts_at=event.ends_at, timezone="America/Tijuana"
        ),
    ]
    db.session.commit()

    response = client.post("/organizer/events/visit-otay/duplicate")
    assert response.status_code == 302
    assert response.location == "/organizer/events/visit-otay-copy/edit"
    copy = find("visit-otay-copy")
    original = find("visit-otay")
    assert copy.id != original.id
    assert copy.status is EventStatus.DRAFT
    assert copy.uid != original.uid
    assert copy.sequence == 0 and copy.reminder_sent_at is None
    assert copy.title_en == f"{original.title_en} (copy)"
    assert copy.title_es == "Visita a Otay (copia)"
    for name in (
        "kind",
        "visibility",
        "description_en",
        "description_es",
        "starts_at",
        "ends_at",
        "timezone",
        "venue_id",
        "capacity",
        "guest_limit",
        "rsvp_deadline",
        "show_both_languages",
    ):
        assert getattr(copy, name) == getattr(original, name), name
    assert [o.name for o in copy.hosts] == ["SBC", "ITJ"]
    assert [o.name for o in copy.partners] == ["SDRCC"]
    assert [(s.position, s.title_en, s.timezone, s.venue_id) for s in copy.stops] == [
        (s.position, s.title_en, s.timezone, s.venue_id) for s in original.stops
    ]
    assert {s.id for s in copy.stops}.isdisjoint({s.id for s in original.stops})
    # A second copy gets its own address.
    client.post("/organizer/events/visit-otay/duplicate")
    assert find("visit-otay-copy-2") is not None


# Editing


def test_editing_saves_every_field_and_title_changes_email_nobody(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(slug="forum", capacity=10)
    answer_rsvp(event)
    before = len(outbox())
    response = client.post(
        "/organizer/events/forum/edit",
        data=edit_data(
            event,
            kind="board_meeting",
            title_en="Board meeting",
            description_en="Agenda to follow.",
            guest_limit="3",
            visibility="invite_only",
            show_both_languages="y",
        ),
    )
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.kind is EventKind.BOARD_MEETING and event.title_en == "Board meeting"
    assert event.guest_limit == 3 and event.visibility is Visibility.INVITE_ONLY
    assert event.show_both_languages
    assert event.sequence == 0
    assert len(outbox()) == before


def test_the_edit_form_shows_times_in_the_events_own_zone(client, organizer, make_event):
    event = make_event(slug="forum", zone="America/Mexico_City", hours=(9, 11))
    page = client.get("/organizer/events/forum/edit")
    local = event.starts_at.astimezone(ZoneInfo("America/Mexico_City"))
    assert f'value="{local:%Y-%m-%dT09:00}"' in page.text
    assert 'value="America/Mexico_City"' in page.text


def test_editing_refuses_a_dst_gap_and_keeps_the_event(client, organizer, make_event):
    event = make_event(slug="forum")
    starts_at = event.starts_at
    response = client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, starts_at="2027-03-14T02:00", ends_at="2027-03-14T04:00"),
    )
    assert response.status_code == 422
    assert "doesn&#39;t exist" in error_next_to(response.text, "starts_at")
    db.session.refresh(event)
    assert event.starts_at == starts_at


def test_a_cancelled_event_cannot_be_edited_or_published(client, organizer, make_event):
    event = make_event(slug="forum", status=EventStatus.CANCELLED)
    assert client.get("/organizer/events/forum/edit").status_code == 302
    response = client.post("/organizer/events/forum/edit", data=edit_data(event, title_en="X"))
    assert response.status_code == 302
    client.post("/organizer/events/forum/publish")
    db.session.refresh(event)
    assert event.title_en != "X" and event.status is EventStatus.CANCELLED
    page = client.get("/organizer/events/forum")
    assert "/organizer/events/forum/edit" not in page.text
    assert "/organizer/events/forum/cancel" not in page.text


# Cancelling


def test_cancelling_asks_first_then_cancels(client, organizer, make_event, answer_rsvp):
    event = make_event(slug="forum")
    answer_rsvp(event)
    page = client.get("/organizer/events/forum/cancel")
    assert page.status_code == 200
    assert "1 confirmed attendee will be emailed" in page.text
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED

    response = client.post("/organizer/events/forum/cancel", data={"note": ""})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED
    assert event.sequence == 1
    assert "cancelled" in client.get("/events/forum").text.lower()
    # Twice is refused politely.
    again = client.post("/organizer/events/forum/cancel", follow_redirects=True)
    assert "already cancelled" in again.text
    db.session.refresh(event)
    assert event.sequence == 1


# Itinerary stops


def test_stops_of_a_visit_are_added_edited_reordered_and_removed(
    client, organizer, make_event, make_venue
):
    make_event(slug="visit", kind=EventKind.VISIT, status=EventStatus.DRAFT, days=30, hours=(8, 18))
    venue = make_venue(name="Garita de Otay")
    db.session.commit()
    day = local_day(30)

    for title, hour in (("Port of entry", "09"), ("Lunch", "12"), ("Wastewater plant", "14")):
        response = client.post(
            "/organizer/events/visit/stops/new",
            data=stop_data(title_en=title, starts_at=f"{day}T{hour}:00", ends_at=""),
        )
        assert response.status_code == 302, response.text
    event = find("visit")
    assert [(s.position, s.title_en) for s in event.stops] == [
        (0, "Port of entry"),
        (1, "Lunch"),
        (2, "Wastewater plant"),
    ]
    port, _lunch, plant = event.stops

    # Edit: a new time in San Diego, and a venue.
    response = client.post(
        f"/organizer/events/visit/stops/{plant.id}/edit",
        data=stop_data(
            plant,
            starts_at=f"{day}T15:00",
            ends_at=f"{day}T16:30",
            timezone="America/Los_Angeles",
            venue=str(venue.id),
        ),
    )
    assert response.status_code == 302
    db.session.refresh(plant)
    assert plant.timezone == "America/Los_Angeles" and plant.venue_id == venue.id
    assert plant.ends_at - plant.starts_at == timedelta(hours=1, minutes=30)

    # Reorder: the plant up twice, then lunch down (back after the port).
    client.post(f"/organizer/events/visit/stops/{plant.id}/move", data={"direction": "up"})
    client.post(f"/organizer/events/visit/stops/{plant.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [s.title_en for s in find("visit").stops] == [
        "Wastewater plant",
        "Port of entry",
        "Lunch",
    ]
    client.post(f"/organizer/events/visit/stops/{plant.id}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [s.title_en for s in find("visit").stops] == [
        "Port of entry",
        "Wastewater plant",
        "Lunch",
    ]
    # At the top, "up" changes nothing.
    client.post(f"/organizer/events/visit/stops/{port.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [s.title_en for s in find("visit").stops] == [
        "Port of entry",
        "Wastewater plant",
        "Lunch",
    ]
    assert (
        client.post(
            f"/organizer/events/visit/stops/{port.id}/move", data={"direction": "sideways"}
        ).status_code
        == 400
    )

    # Remove the middle one: positions close up.
    response = client.post(f"/organizer/events/visit/stops/{plant.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert [(s.position, s.title_en) for s in find("visit").stops] == [
        (0, "Port of entry"),
        (1, "Lunch"),
    ]
    page = client.get("/organizer/events/visit")
    assert "Port of entry" in page.text and "Wastewater plant" not in page.text


def test_a_stop_has_its_own_zone_and_dst_checks(client, organizer, make_event):
    make_event(slug="visit", kind=EventKind.VISIT)
    response = client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(starts_at="2027-03-14T02:15", ends_at="", timezone="America/Los_Angeles"),
    )
    assert response.status_code == 422
    assert "doesn&#39;t exist in America/Los_Angeles" in error_next_to(response.text, "starts_at")
    response = client.post(
        "/organizer/events/visit/stops/new", data=stop_data(timezone="Pacific/Nowhere")
    )
    assert response.status_code == 422
    day = local_day(30)
    response = client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(starts_at=f"{day}T10:00", ends_at=f"{day}T09:00"),
    )
    assert error_next_to(response.text, "ends_at") == "The end must be after the start."
    assert find("visit").stops == []


def test_a_stop_can_be_at_a_new_venue(client, organizer, make_event):
    make_event(slug="visit", kind=EventKind.VISIT, days=30)
    client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(
            new_venue_name="South Bay plant", new_venue_city="San Ysidro", new_venue_country="US"
        ),
    )
    [stop] = find("visit").stops
    assert stop.venue.name == "South Bay plant" and stop.venue.country == "US"


def test_only_visits_have_stops(client, organizer, make_event):
    make_event(slug="meeting")
    response = client.post(
        "/organizer/events/meeting/stops/new", data=stop_data(), follow_redirects=True
    )
    assert "Only visits have an itinerary." in response.text
    assert find("meeting").stops == []


def test_a_visit_with_stops_cannot_become_another_kind(client, organizer, make_event):
    event = make_event(slug="visit", kind=EventKind.VISIT, days=30)
    client.post("/organizer/events/visit/stops/new", data=stop_data())
    response = client.post(
        "/organizer/events/visit/edit", data=edit_data(event, kind="board_meeting")
    )
    assert response.status_code == 409
    assert "Remove them before changing its kind" in error_next_to(response.text, "kind")
    db.session.refresh(event)
    assert event.kind is EventKind.VISIT


@pytest.mark.parametrize("method", ["publish", "duplicate"])
def test_posting_to_an_unknown_event_is_404(client, organizer, method):
    assert client.post(f"/organizer/events/nope/{method}").status_code == 404


def test_organizations_created_by_name_are_reused_case_insensitively(client, organizer):
    client.post("/organizer/events/new", data=new_event_data(new_hosts="INDEX Tijuana"))
    client.post(
        "/organizer/events/new", data=new_event_data(title_en="Second", new_hosts="index tijuana")
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(Organization)) == 1
    # Non-ASCII capitals, which SQLite's lower() leaves alone, still find the same row.
    for title in ("Third", "Fourth"):
        response = client.post(
            "/organizer/events/new", data=new_event_data(title_en=title, new_partners="Índex BC")
        )
        assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Organization)) == 2


def test_organizers_preview_drafts_and_invite_only_events(client, make_event, organizer):
    from app.events.models import EventStatus, Visibility

    draft = make_event(status=EventStatus.DRAFT, title_en="Draft meeting")
    board = make_event(visibility=Visibility.INVITE_ONLY, title_en="Board meeting")
    for event in (draft, board):
        page = client.get(f"/events/{event.slug}")
        assert page.status_code == 200
        assert "Preview for organizers" in page.text


def test_the_public_still_gets_404_for_drafts(app, make_event):
    from app.events.models import EventStatus

    draft = make_event(status=EventStatus.DRAFT)
    assert app.test_client().get(f"/events/{draft.slug}").status_code == 404


def test_moving_a_visit_moves_its_itinerary_on_each_sides_clock(
    client, organizer, make_event, answer_rsvp
):
    """Tijuana springs forward on March 14, 2027; Mexico City keeps its clock all year."""
    tijuana, mexico_city = ZoneInfo("America/Tijuana"), ZoneInfo("America/Mexico_City")
    event = make_event(
        slug="tour",
        kind=EventKind.VISIT,
        starts_at=datetime(2027, 3, 10, 8, tzinfo=tijuana),
        ends_at=datetime(2027, 3, 10, 18, tzinfo=tijuana),
    )
    event.stops = [
        ItineraryStop(
            position=0,
            title_en="Otay Mesa",
            starts_at=datetime(2027, 3, 10, 9, tzinfo=tijuana),
            ends_at=datetime(2027, 3, 10, 10, tzinfo=tijuana),
            timezone="America/Tijuana",
        ),
        ItineraryStop(
            position=1,
            title_en="Video call with the SRE",
            starts_at=datetime(2027, 3, 10, 14, tzinfo=mexico_city),
            ends_at=None,
            timezone="America/Mexico_City",
        ),
    ]
    answer_rsvp(event, email="ana@example.com")
    db.session.commit()

    response = client.post(
        "/organizer/events/tour/edit",
        data=edit_data(event, starts_at="2027-03-17T08:00", ends_at="2027-03-17T18:00"),
    )
    assert response.status_code == 302
    db.session.refresh(event)
    otay, call = event.stops
    assert otay.starts_at.astimezone(tijuana) == datetime(2027, 3, 17, 9, tzinfo=tijuana)
    assert otay.ends_at.astimezone(tijuana) == datetime(2027, 3, 17, 10, tzinfo=tijuana)
    assert call.starts_at.astimezone(mexico_city) == datetime(2027, 3, 17, 14, tzinfo=mexico_city)
    assert call.ends_at is None
    notice = db.session.scalars(
        db.select(OutboxMessage).filter_by(kind="event_changed").order_by(OutboxMessage.id)
    ).all()[-1]
    assert "The itinerary has changed" in notice.body_text

    # Changing only the end leaves the stops where they are.
    client.post(
        "/organizer/events/tour/edit",
        data=edit_data(event, ends_at="2027-03-17T19:00"),
    )
    db.session.refresh(event)
    assert event.stops[0].starts_at.astimezone(tijuana).hour == 9
