from app.tokens import Purpose, find_by_token, make_token, revoke_tokens


def test_manage_token_opens_its_rsvp_and_carries_enough_entropy(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    token = make_token(rsvp, Purpose.MANAGE)
    assert find_by_token(token, Purpose.MANAGE) is rsvp
    mac = token.split(".", 1)[1]
    assert len(mac) * 6 >= 256  # base64 characters carry 6 bits each


def test_forged_or_malformed_tokens_open_nothing(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    token = make_token(rsvp, Purpose.MANAGE)
    other = answer_rsvp(make_event())
    forged = f"{other.id}.{token.split('.', 1)[1]}"
    for bad in [forged, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x", "1.", ".abc"]:
        assert find_by_token(bad, Purpose.MANAGE) is None, bad
    assert find_by_token("9" * 200, Purpose.MANAGE) is None


def test_feed_token_cannot_manage_and_manage_token_cannot_read_feed(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    assert find_by_token(make_token(rsvp, Purpose.FEED), Purpose.MANAGE) is None
    assert find_by_token(make_token(rsvp, Purpose.MANAGE), Purpose.FEED) is None
    assert find_by_token(make_token(rsvp, Purpose.FEED), Purpose.FEED) is rsvp


def test_rotating_revokes_old_links(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    old = make_token(rsvp, Purpose.MANAGE)
    revoke_tokens(rsvp)
    assert find_by_token(old, Purpose.MANAGE) is None
    assert find_by_token(make_token(rsvp, Purpose.MANAGE), Purpose.MANAGE) is rsvp


def test_odd_tokens_are_404_not_500(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    mac = make_token(rsvp, Purpose.MANAGE).split(".", 1)[1]
    for token in [f"{rsvp.id}.é{mac[1:]}", "9" * 40 + "." + mac, f"١.{mac}", f"{rsvp.id}.{mac}="]:
        assert find_by_token(token, Purpose.MANAGE) is None, token
        assert client.get(f"/rsvp/{token}").status_code == 404, token


def test_emails_for_invite_only_events_link_to_the_attendees_own_page(make_event, answer_rsvp):
    from app.events.models import Visibility
    from app.extensions import db
    from app.mail.models import OutboxMessage

    event = make_event(capacity=5, visibility=Visibility.INVITE_ONLY)
    rsvp = answer_rsvp(event)
    message = db.session.scalars(db.select(OutboxMessage)).one()
    manage_url = f"http://127.0.0.1/rsvp/{make_token(rsvp, Purpose.MANAGE)}"
    assert f"/events/{event.slug}" not in message.body_text
    assert manage_url in message.body_text
    assert f"URL:{manage_url}" in message.ics.replace("\r\n ", "")


def test_an_attendee_can_replace_a_leaked_link(client, make_event, answer_rsvp, smtp):
    from app.mail.sender import deliver_pending
    from app.tokens import Purpose, find_by_token, make_token

    event = make_event(capacity=5, title_en="Logistics Forum")
    rsvp = answer_rsvp(event, email="ana@example.com")
    deliver_pending()
    smtp.mailbox.clear()
    old = {
        purpose: make_token(rsvp, purpose)
        for purpose in (Purpose.MANAGE, Purpose.FEED, Purpose.CHECKIN)
    }
    assert "Email me a new link" in client.get(f"/rsvp/{old[Purpose.MANAGE]}").text

    response = client.post(f"/rsvp/{old[Purpose.MANAGE]}/new-link")
    assert response.status_code == 200
    assert "ana@example.com" in response.text
    new_token = make_token(rsvp, Purpose.MANAGE)
    assert new_token not in response.text  # only the inbox gets it, not whoever holds the link
    for purpose, token in old.items():
        assert find_by_token(token, purpose) is None, purpose
    assert client.get(f"/rsvp/{old[Purpose.MANAGE]}").status_code == 404
    assert client.get(f"/calendar/me/{old[Purpose.FEED]}.ics").status_code == 404

    deliver_pending()
    [message] = smtp.mailbox
    assert "<ana@example.com>" in message["To"]
    assert message["Subject"] == "Your new link: Logistics Forum"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/rsvp/{new_token}" in body and old[Purpose.MANAGE] not in body
    assert any(p.get_content_type() == "image/png" for p in message.walk())  # a new check-in code
    assert client.get(f"/rsvp/{new_token}").status_code == 200


def test_replacing_a_link_needs_the_link_and_csrf(app, client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    assert client.post("/rsvp/1.nope/new-link").status_code == 404
    app.config["WTF_CSRF_ENABLED"] = True
    token = make_token(rsvp, Purpose.MANAGE)
    assert client.post(f"/rsvp/{token}/new-link").status_code == 400
    assert find_by_token(token, Purpose.MANAGE) is rsvp


def test_links_already_emailed_keep_working_the_signed_message_is_stable(
    app, make_event, answer_rsvp
):
    """The signed text is part of every link in people's inboxes: pin it, for both kinds."""
    import base64
    import hashlib
    import hmac

    from app.invitations.models import Invitation

    def expected(message: str) -> str:
        key = app.config["SECRET_KEY"].encode()
        digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    rsvp = answer_rsvp(make_event())
    for purpose, name in [(Purpose.MANAGE, "manage"), (Purpose.FEED, "feed")]:
        mac = expected(f"rsvp:{name}:{rsvp.id}:{rsvp.token_nonce}")
        assert make_token(rsvp, purpose) == f"{rsvp.id}.{mac}"
    invitation = Invitation(event_id=rsvp.event_id, name="J", email="j@example.com")
    invitation.token_nonce = "abc"
    invitation.id = rsvp.id
    mac = expected(f"invitation:{rsvp.id}:abc")
    assert make_token(invitation, Purpose.INVITATION) == f"{rsvp.id}.{mac}"
    # An invitation's token never opens the RSVP with the same id, nor the other way round.
    assert find_by_token(make_token(rsvp, Purpose.MANAGE), Purpose.INVITATION) is None
