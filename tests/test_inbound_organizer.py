"""What organizers see of mail that came back (issue 11): addresses that bounced, answers from
calendar apps, an invitation resent to a corrected address, and the inbound email page."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.extensions import db
from app.inbound.addresses import reply_address, resolve
from app.inbound.labels import REASON_LABELS
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from app.inbound.processing import Reason
from app.inbound.queries import SHOWN_LIMIT, shown_messages
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage, RejectedAddress
from app.mail.sender import deliver_pending
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token
from tests.test_html_validity import html_problems
from tests.test_invitations import link_path

DOMAIN = "answers.convoca.test"


@pytest.fixture
def answers_by_email(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN


def text(response) -> str:
    return html.unescape(response.text)


def text_of(page: str) -> str:
    return html.unescape(page)


def row_of(page: str, row_id: str) -> str:
    """The HTML of one table row, found by its id."""
    start = page.index(f'id="{row_id}"')
    return page[start : page.index("</tr>", start)]


def invitee_row(page: str, email: str) -> str:
    start = page.rindex("<tr", 0, page.index(f"<td>{email}"))
    return page[start : page.index("</tr>", start)]


def bounce(email: str) -> None:
    db.session.add(RejectedAddress(email=email, smtp_code=550, reply="5.1.1 No such user"))
    db.session.commit()


# --- Beside attendees and invitees ---------------------------------------------------------


def test_the_attendee_list_marks_bounced_addresses_and_shows_calendar_answers(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    ana = answer_rsvp(event, name="Ana", email="Ana@Example.com")
    ben = answer_rsvp(event, name="Ben", email="ben@example.com")
    bounce("ana@example.com")
    ben.calendar_partstat = "TENTATIVE"
    ben.calendar_comment = "<b>Maybe</b>, I may be late"
    ben.calendar_replied_at = datetime(2030, 1, 15, 17, 30, tzinfo=UTC)  # 9:30 AM in Tijuana
    db.session.commit()

    page = client.get(f"/organizer/events/{event.slug}/attendees").text
    assert "Email bounced" in row_of(page, f"rsvp-{ana.id}")
    assert "Tentative" not in row_of(page, f"rsvp-{ana.id}")
    ben_row = row_of(page, f"rsvp-{ben.id}")
    assert "Email bounced" not in ben_row
    assert 'class="badge badge-tentative"' in ben_row
    assert "&lt;b&gt;Maybe&lt;/b&gt;, I may be late" in ben_row  # escaped, never markup
    assert "1/15/30, 9:30" in ben_row  # in the event's zone

    detail = client.get(f"/organizer/events/{event.slug}/attendees/{ben.id}").text
    assert "&lt;b&gt;Maybe&lt;/b&gt;" in detail and "badge-tentative" in detail
    detail = client.get(f"/organizer/events/{event.slug}/attendees/{ana.id}").text
    assert "Email bounced" in detail


def test_hosts_see_neither_bounces_nor_calendar_notes(
    client, make_user, sign_in, make_organization, make_event, answer_rsvp
):
    itj = make_organization(short_name="ITJ")
    owner = make_user()
    event = make_event(hosts=[itj], owners=[owner])
    rsvp = answer_rsvp(event, email="ana@example.com", share_with_host=True)
    rsvp.calendar_partstat, rsvp.calendar_comment = "TENTATIVE", "Private note"
    rsvp.calendar_replied_at = datetime.now(UTC)
    bounce("ana@example.com")
    sign_in(make_user(role=Role.HOST, organization=itj))

    page = client.get(f"/organizer/events/{event.slug}/attendees")
    assert page.status_code == 200 and rsvp.name in page.text
    assert "Private note" not in page.text and "Email bounced" not in page.text


def test_a_bounced_invitation_can_be_resent_to_a_corrected_address(
    client, organizer, board_meeting, invite, smtp
):
    event = board_meeting()
    [invitation] = invite(event, "Juan Pérez <juan@mistyped.example>")
    old_link = f"/invitation/{make_token(invitation, Purpose.INVITATION)}"
    deliver_pending()
    bounce("juan@mistyped.example")

    page = client.get(f"/organizer/events/{event.slug}/invitations").text
    assert html_problems(page) == []
    row = invitee_row(text_of(page), "juan@mistyped.example")
    assert "Email bounced" in row and "Resend to another address" in row

    smtp.mailbox.clear()
    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/address",
        data={"email": " Juan@Ejemplo.mx "},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "The invitation was sent to Juan@ejemplo.mx" in page  # the domain normalized
    assert "Email bounced" not in page

    invitation = db.session.get(Invitation, invitation.id)
    assert (invitation.email, invitation.email_key) == ("Juan@ejemplo.mx", "juan@ejemplo.mx")
    assert invitation.send_count == 2 and not invitation.is_revoked
    assert client.get(old_link).status_code == 404  # the old address's link is dead

    deliver_pending()
    [message] = smtp.mailbox.to("Juan@ejemplo.mx")
    assert client.get(link_path(message)).status_code == 200

    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.subject == "invitation"))
    [changed] = [entry for entry in entries if "email" in entry.changes]
    assert changed.user_id == organizer.id
    assert changed.changes["email"] == ["juan@mistyped.example", "Juan@ejemplo.mx"]


def test_the_reply_address_of_the_old_invitation_dies_with_it(
    app, answers_by_email, client, organizer, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "juan@wrong.example")
    old_address = reply_address(invitation)
    bounce("juan@wrong.example")
    client.post(
        f"/organizer/events/{event.slug}/invitations/{invitation.id}/address",
        data={"email": "juan@ejemplo.mx"},
    )
    assert resolve(old_address) is None
    assert resolve(reply_address(db.session.get(Invitation, invitation.id))) is not None


def test_an_address_already_invited_is_refused(client, organizer, board_meeting, invite):
    event = board_meeting()
    [juan, _maria] = invite(event, "juan@wrong.example\nmaria@ejemplo.mx")
    bounce("juan@wrong.example")
    queued = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))

    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{juan.id}/address",
        data={"email": "MARIA@ejemplo.mx"},
        follow_redirects=True,
    )
    assert "MARIA@ejemplo.mx is already invited to this event. Nothing was changed." in text(
        response
    )
    assert db.session.get(Invitation, juan.id).email == "juan@wrong.example"
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == queued

    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{juan.id}/address",
        data={"email": "not an address"},
        follow_redirects=True,
    )
    assert "Please enter a valid email address" in text(response)
    assert db.session.get(Invitation, juan.id).email == "juan@wrong.example"


def test_an_invitee_who_answered_keeps_their_address(
    client, organizer, board_meeting, invite, answer_rsvp
):
    event = board_meeting()
    [juan] = invite(event, "juan@ejemplo.mx")
    answer_rsvp(event, email="juan@ejemplo.mx")
    bounce("juan@ejemplo.mx")
    page = text(client.get(f"/organizer/events/{event.slug}/invitations"))
    assert "Email bounced" in page and "Resend to another address" not in page

    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{juan.id}/address",
        data={"email": "juan@otro.mx"},
        follow_redirects=True,
    )
    assert "has already answered" in text(response)
    assert db.session.get(Invitation, juan.id).email == "juan@ejemplo.mx"


def test_changing_an_address_needs_the_csrf_token(app, client, organizer, board_meeting, invite):
    event = board_meeting()
    [juan] = invite(event, "juan@wrong.example")
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        f"/organizer/events/{event.slug}/invitations/{juan.id}/address",
        data={"email": "juan@ejemplo.mx"},
    )
    assert response.status_code == 400
    assert db.session.get(Invitation, juan.id).email == "juan@wrong.example"


# --- The inbound email page ----------------------------------------------------------------


def reply(uid: str, sequence: int, email: str, partstat: str = "ACCEPTED") -> bytes:
    """An answer as Apple Calendar sends it."""
    return (
        f"From: <{email}>\r\n"
        "Subject: Accepted\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n"
        "\r\n"
        "BEGIN:VCALENDAR\r\nPRODID:-//Test//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSEQUENCE:{sequence}\r\nDTSTAMP:20300101T000000Z\r\n"
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def store(event, status: InboundStatus, reason: str | None, minutes_ago: int, **fields):
    message = InboundMessage(
        source=InboundSource.SMTP,
        recipient=f"events+x@{DOMAIN}",
        envelope_from=fields.pop("envelope_from", "someone@example.com"),
        raw=fields.pop("raw", b"From: Some One <someone@example.com>\r\n\r\nThanks!\r\n"),
        status=status,
        reason=reason,
        event_id=event.id,
        received_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message


def inbound_page(event) -> str:
    return f"/organizer/events/{event.slug}/inbound"


def test_every_reason_has_a_label():
    assert set(REASON_LABELS) == set(Reason)


def test_the_page_lists_what_changed_nothing_newest_first(
    app, answers_by_email, client, organizer, make_event
):
    event = make_event()
    older = store(event, InboundStatus.IGNORED, Reason.AUTO_REPLY, 60, detail="Out of office")
    newer = store(
        event,
        InboundStatus.UNAPPLIED,
        Reason.NO_CALENDAR,
        5,
        detail="<script>alert(1)</script>",
        raw=b"From: =?utf-8?q?Mar=C3=ADa?= <maria@example.com>\r\n\r\nYes!\r\n",
    )
    store(event, InboundStatus.APPLIED, None, 1, detail="Accepted: now confirmed.")
    store(event, InboundStatus.DISMISSED, Reason.NO_CALENDAR, 2, detail="set aside")
    store(make_event(), InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 3, detail="other event")

    response = client.get(inbound_page(event))
    assert response.status_code == 200
    page = response.text
    assert html_problems(page) == []
    assert page.index(f'id="message-{newer.id}"') < page.index(f'id="message-{older.id}"')
    assert page.count('id="message-') == 2
    newest = row_of(page, f"message-{newer.id}")
    assert "María &lt;maria@example.com&gt;" in newest
    assert "No calendar answer in it" in html.unescape(newest)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in newest
    assert "An automatic reply" in html.unescape(row_of(page, f"message-{older.id}"))
    local = newer.received_at.astimezone(event.zone)
    assert f"{local:%-I}:{local:%M}" in newest  # received, in the event's zone

    show = text(client.get(f"/organizer/events/{event.slug}"))
    assert "Inbound email (1 waiting)" in show


def test_applying_again_records_the_answer(
    app, answers_by_email, client, organizer, board_meeting, invite
):
    event = board_meeting()
    [invitation] = invite(event, "juan@ejemplo.mx")
    message = store(
        event,
        InboundStatus.UNAPPLIED,
        Reason.ERROR,
        5,
        raw=reply(event.uid, event.sequence, "juan@ejemplo.mx"),
        invitation_id=invitation.id,
        detail="RuntimeError: something broke",
    )

    response = client.post(f"{inbound_page(event)}/{message.id}/apply")
    assert response.status_code == 302
    assert "The message was applied." in text(client.get(response.location))
    message = db.session.get(InboundMessage, message.id)
    assert message.status is InboundStatus.APPLIED
    rsvp = db.session.scalar(db.select(Rsvp).where(Rsvp.event_id == event.id))
    assert rsvp.email == "juan@ejemplo.mx" and rsvp.status is RsvpStatus.CONFIRMED
    assert f'id="message-{message.id}"' not in client.get(inbound_page(event)).text
    assert db.session.scalar(
        db.select(AuditEntry).where(
            AuditEntry.action == "applied_again", AuditEntry.user_id == organizer.id
        )
    )

    # Once dealt with, a second click changes nothing.
    response = client.post(f"{inbound_page(event)}/{message.id}/apply", follow_redirects=True)
    assert "That message was already dealt with." in text(response)


def test_a_message_that_still_cannot_be_applied_says_why(
    app, answers_by_email, client, organizer, make_event, answer_rsvp
):
    event = make_event()
    rsvp = answer_rsvp(event)
    message = store(event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 5, rsvp_id=rsvp.id)
    response = client.post(f"{inbound_page(event)}/{message.id}/apply", follow_redirects=True)
    assert "The message still changed nothing: No calendar answer in it" in text(response)
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.UNAPPLIED


def test_dismissing_sets_a_message_aside(app, answers_by_email, client, organizer, make_event):
    event = make_event()
    message = store(event, InboundStatus.IGNORED, Reason.AUTO_REPLY, 5)
    response = client.post(f"{inbound_page(event)}/{message.id}/dismiss", follow_redirects=True)
    assert "The message was dismissed." in text(response)
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.DISMISSED
    assert f'id="message-{message.id}"' not in response.text
    assert db.session.scalar(
        db.select(AuditEntry).where(
            AuditEntry.action == "dismissed", AuditEntry.event_id == event.id
        )
    )


def test_the_audit_log_names_a_message_by_its_id_not_its_sender(
    app, answers_by_email, client, organizer, make_event
):
    event = make_event()
    message = store(event, InboundStatus.IGNORED, Reason.AUTO_REPLY, 5, envelope_from="ana@x.mx")
    client.post(f"{inbound_page(event)}/{message.id}/dismiss")

    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "dismissed"))
    assert (entry.subject, entry.subject_id) == ("inbound_message", message.id)
    assert entry.label == f"message {message.id}"
    assert "ana@x.mx" not in str(entry.changes)


def test_the_page_lists_the_newest_messages_only_and_says_how_many_there_are(
    app, answers_by_email, client, organizer, make_event
):
    event = make_event()
    db.session.add_all(
        InboundMessage(
            source=InboundSource.SMTP,
            recipient=f"events+x@{DOMAIN}",
            envelope_from="someone@example.com",
            raw=f"From: Person {n} <p{n}@example.com>\r\n\r\n".encode() + b"x" * 100_000,
            status=InboundStatus.UNAPPLIED,
            reason=Reason.NO_CALENDAR,
            event_id=event.id,
            received_at=datetime.now(UTC) - timedelta(minutes=n),
        )
        for n in range(SHOWN_LIMIT + 5)
    )
    db.session.commit()
    db.session.expire_all()

    shown = shown_messages(event)
    assert (len(shown.rows), shown.total) == (SHOWN_LIMIT, SHOWN_LIMIT + 5)
    assert shown.rows[0].sender == "Person 0 <p0@example.com>"
    assert all("raw" in inspect(row.message).unloaded for row in shown.rows)  # never loaded

    page = text(client.get(inbound_page(event)))
    assert page.count('id="message-') == SHOWN_LIMIT
    assert f"Showing the newest {SHOWN_LIMIT} of {SHOWN_LIMIT + 5} messages." in page
    assert "Person 0 <p0@example.com>" in page
    assert "Person 204" not in page


def test_only_the_events_managers_reach_its_inbound_email(
    app, client, make_user, sign_in, make_organization, make_event
):
    itj = make_organization(short_name="ITJ")
    event = make_event(hosts=[itj], owners=[make_user()])
    message = store(event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 5)
    other_event = make_event(owners=[make_user()])
    foreign = store(other_event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 5)
    paths = [
        ("get", inbound_page(event)),
        ("post", f"{inbound_page(event)}/{message.id}/apply"),
        ("post", f"{inbound_page(event)}/{message.id}/dismiss"),
    ]

    assert client.get(inbound_page(event)).status_code == 302  # signed out: to the sign-in

    sign_in(make_user(role=Role.HOST, organization=itj))  # a host account: read-only
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 404, path

    sign_in(make_user())  # an organizer who doesn't own the event
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 404, path

    sign_in(db.session.get(type(event.owners[0]), event.owners[0].id))
    # Another event's message cannot be reached through this one.
    assert client.post(f"{inbound_page(event)}/{foreign.id}/dismiss").status_code == 404
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.UNAPPLIED
    assert db.session.get(InboundMessage, foreign.id).status is InboundStatus.UNAPPLIED


def test_the_buttons_need_the_csrf_token(app, client, organizer, make_event):
    event = make_event()
    message = store(event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 5)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(inbound_page(event)).text
    for action in ("apply", "dismiss"):
        assert client.post(f"{inbound_page(event)}/{message.id}/{action}").status_code == 400
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.UNAPPLIED

    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"{inbound_page(event)}/{message.id}/dismiss", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.DISMISSED


def test_the_event_page_links_the_inbound_email_only_when_there_is_some(
    app, client, organizer, make_event
):
    event = make_event()
    show = f"/organizer/events/{event.slug}"
    assert "Inbound email" not in client.get(show).text  # the feature is off
    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN
    assert "Inbound email</a>" in client.get(show).text  # nothing waits
    app.config["INBOUND_EMAIL_DOMAIN"] = None
    store(event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 5)
    store(event, InboundStatus.UNAPPLIED, Reason.NO_CALENDAR, 4)
    store(event, InboundStatus.IGNORED, Reason.AUTO_REPLY, 3)
    assert "Inbound email (2 waiting)" in client.get(show).text  # still waiting, though off
