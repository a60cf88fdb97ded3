from app.mail.sender import deliver_pending


def test_rsvp_is_confirmed_and_emailed(client, make_event, smtp):
    event = make_event(capacity=10)
    response = client.post(
        f"/events/{event.slug}/rsvp",
        data={
            "name": "Ana López",
            "email": "Ana@Example.com",
            "organization": "ITJ",
            "response": "yes",
            "language": "es",
        },
    )
    assert response.status_code == 200, response.text
    assert "confirm" in response.text.lower()
    report = deliver_pending()
    assert report.sent == 1
    assert len(smtp.mailbox) == 1
