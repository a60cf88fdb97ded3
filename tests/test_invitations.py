"""Invitations to invite-only events: the organizer's list, the emails, and the personal link."""

import html
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.events.models import EventStatus
from app.extensions import db
from app.invitations import services
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.mail.sender import deliver_pending
from app.rsvps import errors
from app.rsvps import services as rsvp_services
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token


def text(response) -> str:
    return html.unescape(response.text)


def link_path(message) -> str:
    """The personal link in an invitation email, as a path the test client can follow."""
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"http://127\.0\.0\.1/invitation/\S+", body).group(0)
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def rsvp_data(**overrides):
    data = {
        "name": "Juan Pérez",
        "email": "juan@ejemplo.mx",
        "organization": "Consejo",
        "response": "yes",
        "language": "en",
    }
    return data | overrides


def invitation_path(invitation: Invitation) -> str:
    return f"/invitation/{make_token(invitation, Purpose.INVITATION)}"


def test_organizer_invites_and_each_invitee_gets_a_link_that_opens_the_event(
    client, organizer, board_meeting, smtp
):
    event = board_meeting()
    page = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={
            "invitees": 'Juan Pérez <juan@ejemplo.mx>\n"Núñez, María" <maria@ejemplo.mx>\n',
            "language": "en",
        },
    )
    assert page.status_code == 200
    assert "2 people invited." in text(page)
    assert deliver_pending().sent == 2

    [to_juan] = smtp.mailbox.to("juan@ejemplo.mx")
    assert to_juan["Subject"] == "You're invited: Board Meeting"
    assert to_juan["To"] == "Juan Pérez <juan@ejemplo.mx>"
    [to_maria] = smtp.mailbox.to("maria@ejemplo.mx")
    assert link_path(to_juan) != link_path(to_maria)
    assert link_path(to_juan) in to_juan.get_body(("html",)).get_content()

    # Without the link the event does not exist; with it, it opens with the RSVP form prefilled.
    client.post("/organizer/logout")
    assert client.get(f"/events/{event.slug}").status_code == 404
    opened = client.get(link_path(to_juan))
    assert opened.status_code == 200
    page = text(opened)
    assert "Board Meeting" in page
    assert 'value="Juan Pérez"' in page
    assert re.search(r'<input[^>]*readonly[^>]*value="juan@ejemplo.mx"', page)
    token = link_path(to_juan).removeprefix("/invitation/")
    assert f'<input type="hidden" name="invitation" value="{token}">' in page
    assert '<meta name="robots" content="noindex">' in page
    assert opened.headers["Cache-Control"] == "private, no-store"


def test_an_invite_only_event_is_404_to_everyone_without_an_invitation(
    client, board_meeting, invite
):
    event = board_meeting()
    invite(event, "Juan <juan@ejemplo.mx>")
    assert client.get(f"/events/{event.slug}").status_code == 404
    assert client.post(f"/events/{event.slug}/rsvp", data=rsvp_data()).status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0


def test_rsvp_through_the_invitation_is_for_the_invited_address_whatever_is_posted(
    client, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "Juan Pérez <Juan@Ejemplo.mx>")
    response = client.post(
        f"/events/{event.slug}/rsvp",
        data=rsvp_data(
            email="someone-else@example.com", invitation=make_token(invitation, Purpose.INVITATION)
        ),
    )
    assert response.status_code == 302, response.text
    confirmation = text(client.get(response.location))
    assert "An email is on its way to Juan@ejemplo.mx" in confirmation
    assert "someone-else" not in confirmation and "/rsvp/" not in confirmation
    [rsvp] = db.session.scalars(db.select(Rsvp)).all()
    assert rsvp.email == "Juan@ejemplo.mx"
    assert rsvp.email_key == invitation.email_key
    assert rsvp.status is RsvpStatus.CONFIRMED
    # The RSVP's own link works for the invite-only event too.
    assert client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").status_code == 200


def test_a_failed_rsvp_keeps_the_invitation(client, board_meeting, invite):
    event = board_meeting()
    [invitation] = invite(event, "Juan Pérez <juan@ejemplo.mx>")
    token = make_token(invitation, Purpose.INVITATION)
    response = client.post(
        f"/events/{event.slug}/rsvp",
        data=rsvp_data(organization="", email="other@example.com", invitation=token),
    )
    assert response.status_code == 422
    page = text(response)
    assert "Please enter your organization." in page
    assert f'<input type="hidden" name="invitation" value="{token}">' in page
    assert re.search(r'<input[^>]*readonly[^>]*value="juan@ejemplo.mx"', page)
    assert "other@example.com" not in page
    # Sent again, corrected, it goes through.
    fixed = client.post(f"/events/{event.slug}/rsvp", data=rsvp_data(invitation=token))
    assert fixed.status_code == 302


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.split(".")[0],
        lambda token: "9" * 40 + "." + token.split(".")[1],
        lambda token: token + "é",
        lambda token: "x" * 300,
    ],
)
def test_forged_invitation_tokens_are_404(client, board_meeting, invite, forge):
    event = board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    forged = forge(make_token(invitation, Purpose.INVITATION))
    assert client.get(f"/invitation/{forged}").status_code == 404
    refused = client.post(f"/events/{event.slug}/rsvp", data=rsvp_data(invitation=forged))
    assert refused.status_code == 404


def test_an_rsvp_link_is_not_an_invitation_and_one_event_does_not_open_another(
    client, board_meeting, make_event, invite, answer_rsvp
):
    public = make_event()
    rsvp = answer_rsvp(public)
    event = board_meeting()
    other = board_meeting()
    [invitation] = invite(other, "Juan <juan@ejemplo.mx>")
    # Same id, but an RSVP's token is signed for another purpose.
    assert rsvp.id == invitation.id
    assert client.get(f"/invitation/{make_token(rsvp, Purpose.MANAGE)}").status_code == 404
    wrong_event = client.post(
        f"/events/{event.slug}/rsvp",
        data=rsvp_data(invitation=make_token(invitation, Purpose.INVITATION)),
    )
    assert wrong_event.status_code == 404


def test_a_revoked_link_is_404_and_refused_but_the_rsvp_stays_and_is_listed(
    client, organizer, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "Juan Pérez <juan@ejemplo.mx>")
    token = make_token(invitation, Purpose.INVITATION)
    answered = client.post(f"/events/{event.slug}/rsvp", data=rsvp_data(invitation=token))
    assert answered.status_code == 302

    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/revoke", follow_redirects=True
    )
    assert response.status_code == 200
    assert "invitation link no longer works" in text(response)

    assert client.get(f"/invitation/{token}").status_code == 404
    again = client.post(
        f"/events/{event.slug}/rsvp", data=rsvp_data(response="no", invitation=token)
    )
    assert again.status_code == 404
    rsvp = db.session.scalar(db.select(Rsvp))
    assert rsvp.status is RsvpStatus.CONFIRMED  # kept, unchanged

    listing = text(client.get(f"/organizer/events/{event.slug}/invitations"))
    row = re.search(r"<tr class=\"is-revoked\">.*?</tr>", listing, re.S).group(0)
    assert "Juan Pérez" in row and "Revoked" in row and "Confirmed" in row


def test_resend_sends_a_second_email_with_the_same_link(client, organizer, board_meeting, smtp):
    event = board_meeting()
    client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={"invitees": "Juan <juan@ejemplo.mx>", "language": "en"},
    )
    invitation = db.session.scalar(db.select(Invitation))
    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/resend",
        data={"language": "en"},
        follow_redirects=True,
    )
    assert "The invitation was sent again to Juan." in text(response)
    assert deliver_pending().sent == 2
    first, second = smtp.mailbox.to("juan@ejemplo.mx")
    assert second["Subject"] == "Reminder: you're invited to Board Meeting"
    assert link_path(first) == link_path(second)
    db.session.refresh(invitation)
    assert invitation.send_count == 2


def test_resending_a_revoked_invitation_restores_it_with_a_new_link(
    client, organizer, board_meeting, invite, smtp
):
    event = board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    old_token = make_token(invitation, Purpose.INVITATION)
    client.post(f"/organizer/events/{event.slug}/invitations/{invitation.id}/revoke")
    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/resend",
        data={"language": "en"},
        follow_redirects=True,
    )
    assert "Juan is invited again, with a new link." in text(response)
    deliver_pending()
    latest = smtp.mailbox.to("juan@ejemplo.mx")[-1]
    assert (
        "Links in earlier invitation emails no longer work"
        in latest.get_body(("plain",)).get_content()
    )
    client.post("/organizer/logout")
    assert client.get(link_path(latest)).status_code == 200
    assert client.get(f"/invitation/{old_token}").status_code == 404


def test_already_invited_addresses_are_reported_not_duplicated(
    client, organizer, board_meeting, invite
):
    event = board_meeting()
    invite(event, "Juan Pérez <juan@ejemplo.mx>")
    response = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={
            "invitees": (
                "JUAN@EJEMPLO.MX\n"
                "Ana López <ana@example.com>\n"
                "ana@EXAMPLE.com, Ana\n"
                "not an address\n"
            ),
            "language": "en",
        },
    )
    assert response.status_code == 200
    page = text(response)
    assert "1 person invited." in page
    assert "Already invited; not added again." in page
    assert "Same address as line 2; not added again." in page
    assert "No email address found." in page
    # The unreadable line is left in the box for correcting.
    assert re.search(r"<textarea[^>]*>\s*not an address</textarea>", page)
    emails = db.session.scalars(db.select(Invitation.email).order_by(Invitation.id)).all()
    assert emails == ["juan@ejemplo.mx", "ana@example.com"]
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 2


def test_a_csv_file_can_be_uploaded_with_a_language_column(client, organizer, board_meeting, smtp):
    event = board_meeting()
    csv_bytes = (
        "\ufeffname,email,language\r\n"
        "María Núñez,maria@ejemplo.mx,es\r\n"
        "John Smith,john@example.com,\r\n"
        "Nobody,nobody,\r\n"
    ).encode()
    response = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={"csv_file": (io.BytesIO(csv_bytes), "board.csv"), "language": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = text(response)
    assert "2 people invited." in page
    assert "1 line could not be read." in page
    deliver_pending()
    [to_maria] = smtp.mailbox.to("maria@ejemplo.mx")
    [to_john] = smtp.mailbox.to("john@example.com")
    assert 'lang="es"' in to_maria.get_body(("html",)).get_content()
    assert link_path(to_maria).endswith("?lang=es")
    assert 'lang="en"' in to_john.get_body(("html",)).get_content()
    assert "?lang=" not in link_path(to_john)
    languages = dict(
        db.session.execute(db.select(OutboxMessage.recipient_email, OutboxMessage.language)).all()
    )
    assert languages == {"maria@ejemplo.mx": "es", "john@example.com": "en"}
    # A resend offers each invitee's own language, even on an English-speaking organizer's page.
    page = client.get(f"/organizer/events/{event.slug}/invitations").text
    maria = db.session.scalars(db.select(Invitation).filter_by(email="maria@ejemplo.mx")).one()
    resend_form = page.split(f"/invitations/{maria.id}/resend", 1)[1].split("</form>", 1)[0]
    assert re.search(r'<option[^>]*selected[^>]*value="es"|value="es"[^>]*selected', resend_form)
    # The Spanish link opens the page in Spanish, with Spanish preselected for emails.
    client.post("/organizer/logout")
    page = client.get(link_path(to_maria)).text
    assert '<html lang="es">' in page
    assert "Reunión del Consejo" in page
    # No public .ics file to offer (it would be a 404); Google's link carries the details.
    assert f"/events/{event.slug}.ics" not in page and "calendar.google.com" in page


def test_the_default_language_is_the_organizers_current_one(client, organizer, board_meeting):
    event = board_meeting()
    client.set_cookie("lang", "es")
    form = client.get(f"/organizer/events/{event.slug}/invitations").text
    assert re.search(r'<input[^>]*checked[^>]*value="es"|<input[^>]*value="es"[^>]*checked', form)


def test_the_invitee_list_shows_who_answered_and_how(
    client, organizer, board_meeting, invite, answer_rsvp
):
    event = board_meeting(guest_limit=2)
    invite(event, "Ana <ana@example.com>\nBob <bob@example.com>\nCarla <carla@example.com>")
    answer_rsvp(event, name="Ana", email="ANA@example.com", guests=1)
    answer_rsvp(event, name="Bob", email="bob@example.com", attending=False)
    page = text(client.get(f"/organizer/events/{event.slug}/invitations"))

    def row(name):
        return re.search(rf"<tr>\s*<th scope=\"row\">{name}.*?</tr>", page, re.S).group(0)

    assert "Confirmed" in row("Ana") and "+ 1 guest" in row("Ana")
    assert "Not attending" in row("Bob")
    assert "Not answered" in row("Carla")
    assert "Resend" in row("Carla") and "Revoke" in row("Carla")
    counts = re.search(r'<dl class="invitation-counts">.*?</dl>', page, re.S).group(0)
    words = " ".join(re.sub(r"<[^>]+>", " ", counts).split())
    assert words == "Invited 3 Attending 1 Not attending 1 Not answered yet 1"


def test_anonymous_visitors_cannot_reach_the_organizer_invitation_routes(
    client, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    base = f"/organizer/events/{event.slug}/invitations"
    for method, url in [
        ("GET", base),
        ("POST", base),
        ("POST", f"{base}/{invitation.id}/resend"),
        ("POST", f"{base}/{invitation.id}/revoke"),
    ]:
        response = client.open(url, method=method, data={"invitees": "x@example.com"})
        assert response.status_code == 302, (method, url)
        assert response.location.startswith("/organizer/login?next=")
    db.session.refresh(invitation)
    assert invitation.revoked_at is None and invitation.send_count == 1


def test_drafts_cannot_be_invited_to_and_links_stop_working_when_unpublished(
    client, organizer, board_meeting, invite
):
    draft = board_meeting(status=EventStatus.DRAFT)
    response = client.post(
        f"/organizer/events/{draft.slug}/invitations",
        data={"invitees": "Juan <juan@ejemplo.mx>", "language": "en"},
    )
    assert response.status_code == 409
    assert "This event is a draft. Publish it first" in text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invitation)) == 0

    event = board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    event.status = EventStatus.DRAFT  # unpublished after the invitations went out
    db.session.commit()
    token = make_token(invitation, Purpose.INVITATION)
    assert client.get(f"/invitation/{token}").status_code == 404
    assert (
        client.post(f"/events/{event.slug}/rsvp", data=rsvp_data(invitation=token)).status_code
        == 404
    )
    event.status = EventStatus.PUBLISHED
    db.session.commit()
    assert client.get(f"/invitation/{token}").status_code == 200


def test_no_invitations_to_a_cancelled_event_but_links_show_the_cancellation(
    client, organizer, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    event.status = EventStatus.CANCELLED
    db.session.commit()
    refused = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={"invitees": "Ana <ana@example.com>", "language": "en"},
    )
    assert refused.status_code == 409
    assert "No invitations can be sent: This event has been cancelled" in text(refused)
    resend = client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/resend",
        data={"language": "en"},
        follow_redirects=True,
    )
    assert "No invitations can be sent" in text(resend)
    page = text(client.get(f"/invitation/{make_token(invitation, Purpose.INVITATION)}"))
    assert "This event has been cancelled." in page


def test_invitations_of_another_event_cannot_be_managed_from_this_one(
    client, organizer, board_meeting, invite
):
    event = board_meeting()
    other = board_meeting()
    [invitation] = invite(other, "Juan <juan@ejemplo.mx>")
    base = f"/organizer/events/{event.slug}/invitations/{invitation.id}"
    assert client.post(f"{base}/revoke").status_code == 404
    assert client.post(f"{base}/resend", data={"language": "en"}).status_code == 404
    assert client.get("/organizer/events/no-such-event/invitations").status_code == 404


def test_the_add_form_needs_one_list(client, organizer, board_meeting):
    event = board_meeting()
    url = f"/organizer/events/{event.slug}/invitations"
    empty = client.post(url, data={"invitees": "  ", "language": "en"})
    assert empty.status_code == 422
    assert "Paste some invitees or choose a CSV file." in text(empty)
    both = client.post(
        url,
        data={
            "invitees": "a@example.com",
            "csv_file": (io.BytesIO(b"b@example.com"), "list.csv"),
            "language": "en",
        },
        content_type="multipart/form-data",
    )
    assert both.status_code == 422
    assert "Paste a list or choose a file, not both." in text(both)
    no_column = client.post(
        url,
        data={"csv_file": (io.BytesIO(b"name,phone\nAna,123\n"), "list.csv"), "language": "en"},
        content_type="multipart/form-data",
    )
    assert no_column.status_code == 422
    assert "The header row has no email column." in text(no_column)


def test_the_dashboard_links_invite_only_events_to_their_invitations(
    client, organizer, board_meeting, make_event
):
    board = board_meeting()
    public = make_event()
    page = client.get("/organizer/").text
    assert f'href="/organizer/events/{board.slug}/invitations"' in page
    assert f'href="/organizer/events/{public.slug}/invitations"' not in page


def test_invitations_stop_when_rsvps_close(app, board_meeting, invite):
    event = board_meeting(rsvp_deadline=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(services.InvitationsClosed):
        invite(event, "Juan <juan@ejemplo.mx>")


def test_an_invite_only_event_takes_answers_only_through_a_live_invitation_to_it(
    app, board_meeting, invite, make_answer
):
    """The gate is the service's, so every caller (an import, a calendar reply) meets it."""
    event, other = board_meeting(), board_meeting()
    [invitation] = invite(event, "Juan <juan@ejemplo.mx>")
    [elsewhere] = invite(other, "Juan <juan@ejemplo.mx>")
    now = datetime.now(UTC)
    for wrong in (None, elsewhere):
        with pytest.raises(errors.NotInvited):
            rsvp_services.submit_answer(event, make_answer(email="juan@ejemplo.mx"), now, wrong)
    services.revoke(invitation, now)
    with pytest.raises(errors.NotInvited):
        rsvp_services.submit_answer(event, make_answer(), now, invitation)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0


def test_an_invitation_pins_its_address_and_lets_its_holder_change_the_answer(
    app, board_meeting, invite, make_answer
):
    event = board_meeting()
    [invitation] = invite(event, "Juan <Juan@Ejemplo.mx>")
    now = datetime.now(UTC)
    first = rsvp_services.submit_answer(
        event, make_answer(email="mallory@example.com"), now, invitation
    )
    db.session.commit()
    assert first.rsvp.email == "Juan@ejemplo.mx"
    assert first.rsvp.status is RsvpStatus.CONFIRMED
    # The invitation was emailed to Juan: holding it proves the mailbox, so it may change.
    again = rsvp_services.submit_answer(event, make_answer(attending=False), now, invitation)
    db.session.commit()
    assert again.result is rsvp_services.Result.RECORDED and again.rsvp.id == first.rsvp.id
    assert again.rsvp.status is RsvpStatus.DECLINED
