"""The attendee's own rights on their personal page: downloading everything stored about them,
and deleting their RSVP and all their data."""

from sqlalchemy import text

from app.audit.models import AuditEntry
from app.extensions import db
from app.inbound.models import InboundMessage, InboundSource
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.security_lists.models import SecurityDetails
from app.tokens import Purpose, make_token
from tests.test_html_validity import html_problems

PASSPORT = {"id_type": "passport", "id_number": "G12345678", "nationality": "MX"}


def manage(rsvp) -> str:
    return f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"


def give_details(rsvp, values=PASSPORT) -> None:
    db.session.add(SecurityDetails(rsvp_id=rsvp.id, values=dict(values), notice_version=1))
    db.session.commit()


def csrf_token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_the_download_holds_everything_about_the_attendee_and_nothing_else(
    client, make_event, answer_rsvp
):
    event = make_event(guest_limit=2)
    ana = answer_rsvp(
        event, name="Ana López", email="ana@example.com", phone="+52 664 000 0000", guests=1
    )
    other = answer_rsvp(event, name="Ben Ortiz", email="ben@example.com")
    give_details(ana)
    give_details(other, {"id_type": "passport", "id_number": "X99999999"})

    response = client.get(f"{manage(ana)}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.json
    assert data["rsvp"]["id"] == ana.id
    assert data["rsvp"]["name"] == "Ana López"
    assert data["rsvp"]["email"] == "ana@example.com"
    assert data["rsvp"]["phone"] == "+52 664 000 0000"
    assert data["rsvp"]["guests"] == 1
    assert data["rsvp"]["status"] == "confirmed"
    # Decrypted for their owner, the number masked as on their page: the link to this file
    # travels in every confirmation, and forwarded mail must not carry a passport number.
    assert data["security_details"]["values"] == PASSPORT | {"id_number": "•••••5678"}
    assert "G12345678" not in response.text
    assert data["security_details"]["privacy_notice_version"] == 1
    assert data["security_details"]["consented_at"]
    assert data["event"]["title"] == event.title_en
    assert set(data["calendar_answer"]) == {"answer", "comment", "answered_at"}
    assert data["emails_sent_to_you"][0]["to"] == "ana@example.com"
    body = response.text
    for foreign in ("Ben Ortiz", "ben@example.com", "X99999999"):
        assert foreign not in body
    for machinery in ("token_nonce", "email_key", "search_text", ana.token_nonce):
        assert machinery not in body


def test_the_download_needs_the_manage_link(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    assert client.get(f"/rsvp/{rsvp.id}.{'A' * 43}/data.json").status_code == 404
    assert client.get(f"/rsvp/{make_token(rsvp, Purpose.FEED)}/data.json").status_code == 404
    assert client.get("/rsvp/nonsense/data.json").status_code == 404


def test_the_manage_page_offers_download_and_deletion(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    page = client.get(f"{manage(rsvp)}?lang=en").text
    assert f'href="{manage(rsvp)}/data.json"' in page
    assert f'href="{manage(rsvp)}/delete"' in page


def test_deleting_asks_first(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    page = client.get(f"{manage(rsvp)}/delete?lang=en")
    assert page.status_code == 200
    assert f'action="{manage(rsvp)}/delete"' in page.text
    assert db.session.get(Rsvp, rsvp.id) is not None


def test_deleting_frees_the_seat_for_the_waitlist_and_kills_the_link(
    client, make_event, answer_rsvp
):
    event = make_event(capacity=1)
    ana = answer_rsvp(event, name="Ana López", email="ana@example.com")
    ben = answer_rsvp(event, name="Ben Ortiz", email="ben@example.com")
    assert (ana.status, ben.status) == (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)
    give_details(ana)
    db.session.add(
        InboundMessage(
            source=InboundSource.SMTP,
            envelope_from="ana@example.com",
            recipient="events+x@convoca.invalid",
            raw=b"From: ana@example.com\r\n\r\nAccepted",
            event_id=event.id,
            rsvp_id=ana.id,
        )
    )
    db.session.commit()
    link, ana_id = manage(ana), ana.id

    response = client.post(f"{link}/delete")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.get(Rsvp, ana_id) is None
    assert db.session.execute(text("SELECT count(*) FROM security_details")).scalar_one() == 0
    assert db.session.get(Rsvp, ben.id).status is RsvpStatus.CONFIRMED
    promoted = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.rsvp_id == ben.id)
    ).all()
    assert "rsvp_promoted" in {message.kind for message in promoted}
    assert not db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.recipient_email == "ana@example.com")
    ).all()
    assert db.session.scalar(db.select(db.func.count()).select_from(InboundMessage)) == 0
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.subject == "rsvp"))
    assert (entry.action, entry.user_email, entry.subject_id) == ("deleted", "attendee", ana_id)
    log = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM audit_entries")))
    assert "ana@example.com" not in log and "López" not in log

    assert client.get(link).status_code == 404
    assert client.get(f"{link}/data.json").status_code == 404
    assert client.post(f"{link}/delete").status_code == 404


def test_deleting_removes_the_invitation_too(client, board_meeting, invite, answer_rsvp):
    event = board_meeting()
    (invitation,) = invite(event, "Eva Soto <eva@example.com>")
    rsvp = answer_rsvp(event, invitation=invitation, email="eva@example.com")
    invitation_id = invitation.id
    assert client.post(f"{manage(rsvp)}/delete").status_code == 200
    assert db.session.get(Invitation, invitation_id) is None


def test_deleting_needs_the_csrf_token(app, client, make_event, answer_rsvp):
    app.config["WTF_CSRF_ENABLED"] = True
    rsvp = answer_rsvp(make_event())
    link, rsvp_id = manage(rsvp), rsvp.id
    assert client.post(f"{link}/delete").status_code == 400
    assert db.session.get(Rsvp, rsvp_id) is not None
    page = client.get(f"{link}/delete").text
    response = client.post(f"{link}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert db.session.get(Rsvp, rsvp_id) is None


def test_an_attendee_may_delete_after_the_event(client, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event)
    event.starts_at, event.ends_at = (
        event.starts_at.replace(year=event.starts_at.year - 1),
        event.ends_at.replace(year=event.ends_at.year - 1),
    )
    db.session.commit()
    link, rsvp_id = manage(rsvp), rsvp.id
    assert client.post(f"{link}/delete").status_code == 200
    assert db.session.get(Rsvp, rsvp_id) is None


def test_the_pages_are_valid_html(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    link = manage(rsvp)
    for path in [link, f"{link}/delete"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert html_problems(response.text) == [], path
    done = client.post(f"{link}/delete")
    assert html_problems(done.text) == []
