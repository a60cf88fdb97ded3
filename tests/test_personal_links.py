"""Personal links (manage, feed, check-in, read-only page) reach only the inbox they belong to.

The trust issue's second set of steps: answering "no" to a public event with the address of a
board member used to show a manage link, whose page offered that address's calendar feed,
which listed the invite-only board meeting. Whoever posts a form now sees no personal link.
"""

import re

import pytest

from app.extensions import db
from app.mail.sender import deliver_pending
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token

DIANA = "diana@board.example"


def rsvp_data(**overrides):
    data = {
        "name": "Mallory",
        "email": DIANA,
        "organization": "Evil",
        "response": "no",
        "language": "en",
    }
    return data | overrides


def every_token(address: str) -> list[str]:
    """Every personal link of every RSVP of `address`, for every purpose."""
    rsvps = db.session.scalars(db.select(Rsvp).where(Rsvp.email_key == address.casefold()))
    return [
        make_token(r, p)
        for r in rsvps
        for p in (Purpose.MANAGE, Purpose.FEED, Purpose.VIEW, Purpose.CHECKIN)
    ]


def assert_reveals_no_link(page: str, address: str) -> None:
    for token in every_token(address):
        assert token not in page
    assert not re.search(r"/(rsvp|calendar/me|checkin)/[0-9]+\.", page)


@pytest.fixture
def diana_at_the_board(board_meeting, invite, answer_rsvp):
    """Diana, confirmed for the invite-only board meeting through her invitation."""
    meeting = board_meeting()
    [invitation] = invite(meeting, f"Diana Directora <{DIANA}>")
    answer_rsvp(meeting, invitation, name="Diana Directora", email=DIANA)
    return meeting


def test_answering_with_someone_elses_address_shows_no_link_to_their_calendar(
    app, make_event, diana_at_the_board, smtp
):
    public = make_event(capacity=10)
    stranger = app.test_client()
    response = stranger.post(f"/events/{public.slug}/rsvp", data=rsvp_data())
    assert response.status_code == 302
    page = stranger.get(response.location).text
    assert_reveals_no_link(page, DIANA)
    assert diana_at_the_board.title("en") not in page

    # The new RSVP's links went to Diana's inbox, and only there.
    deliver_pending()
    assert {m["To"] for m in smtp.mailbox} == {f"Diana Directora <{DIANA}>", f"Mallory <{DIANA}>"}
    declined = smtp.mailbox.to(DIANA)[-1].get_body(preferencelist=("plain",)).get_content()
    new = db.session.scalars(
        db.select(Rsvp).where(Rsvp.event_id == public.id, Rsvp.email_key == DIANA)
    ).one()
    assert f"/rsvp/{make_token(new, Purpose.MANAGE)}" in declined


def test_a_second_answer_with_the_address_shows_no_link_either(
    app, make_event, answer_rsvp, diana_at_the_board
):
    public = make_event(capacity=10)
    answer_rsvp(public, email=DIANA, name="Diana Directora")
    stranger = app.test_client()
    response = stranger.post(f"/events/{public.slug}/rsvp", data=rsvp_data(response="yes"))
    assert_reveals_no_link(stranger.get(response.location).text, DIANA)
    lost = stranger.post(f"/events/{public.slug}/lost-link", data={"lost-email": DIANA})
    assert_reveals_no_link(stranger.get(lost.location).text, DIANA)


def test_answering_through_an_invitation_shows_no_personal_link(app, board_meeting, invite, smtp):
    meeting = board_meeting()
    [invitation] = invite(meeting, f"Diana <{DIANA}>")
    holder = app.test_client()
    response = holder.post(
        f"/events/{meeting.slug}/rsvp",
        data=rsvp_data(response="yes", invitation=make_token(invitation, Purpose.INVITATION)),
    )
    assert response.status_code == 302
    page = holder.get(response.location).text
    assert "Check your email" in page
    assert_reveals_no_link(page, DIANA)


def test_organizer_made_answers_show_the_organizer_no_personal_link(
    client, organizer, make_event, answer_rsvp, diana_at_the_board
):
    """Organizers see attendees, not their keys: a link on an organizer's screen could be
    copied into a feed that follows the person across events."""
    public = make_event(capacity=10)
    rsvp = answer_rsvp(public, email=DIANA, name="Diana Directora")
    edited = client.post(
        f"/organizer/events/{public.slug}/attendees/{rsvp.id}",
        data={"response": "no", "guests": "0", "language": "en", "notify": ""},
        follow_redirects=True,
    )
    assert edited.status_code == 200
    assert_reveals_no_link(edited.text, DIANA)
    walk_in = client.post(
        f"/organizer/events/{diana_at_the_board.slug}/checkin/walk-in",
        data={"name": "Diana Directora", "email": DIANA, "language": "en", "response": "yes"},
        follow_redirects=True,
    )
    assert walk_in.status_code == 200
    for path in (
        f"/organizer/events/{public.slug}/attendees",
        f"/organizer/events/{public.slug}/attendees/{rsvp.id}",
        f"/organizer/events/{diana_at_the_board.slug}/checkin",
        f"/organizer/events/{diana_at_the_board.slug}/door-list",
    ):
        assert_reveals_no_link(client.get(path).text, DIANA)


def test_a_personal_feed_lists_only_the_events_of_the_address_it_was_emailed_to(
    client, make_event, answer_rsvp, diana_at_the_board
):
    public = make_event(capacity=10)
    mine = answer_rsvp(public, email="mallory@example.com", name="Mallory")
    answer_rsvp(public, email=DIANA, name="Diana Directora", attending=False)
    feed = client.get(f"/calendar/me/{make_token(mine, Purpose.FEED)}.ics")
    assert feed.status_code == 200
    assert feed.text.count("BEGIN:VEVENT") == 1
    assert diana_at_the_board.uid not in feed.text
