"""Who may see what (issue 17): organizers manage the events they own, admins every event, and
a host account reads only the host list of its organization's events."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.accounts.services import HostNeedsOrganization, create_user
from app.events import access, services
from app.events.errors import LastOwner, OwnerRefused
from app.events.models import Event
from app.extensions import db
from app.tokens import Purpose, make_token
from tests.conftest import PASSWORD
from tests.event_forms import new_event_data


def event_pages(event: Event, rsvp_id: int) -> list[str]:
    """Every workspace page of one event that only those who manage it may open."""
    base = f"/organizer/events/{event.slug}"
    return [
        base,
        f"{base}/edit",
        f"{base}/cancel",
        f"{base}/message",
        f"{base}/attendees",
        f"{base}/attendees/{rsvp_id}",
        f"{base}/attendees.csv",
        f"{base}/attendees.xlsx",
        f"{base}/door-list",
        f"{base}/checkin",
        f"{base}/invitations",
        f"{base}/log",
    ]


def event_posts(event: Event, rsvp_id: int) -> list[str]:
    base = f"/organizer/events/{event.slug}"
    return [
        f"{base}/edit",
        f"{base}/publish",
        f"{base}/unpublish",
        f"{base}/duplicate",
        f"{base}/cancel",
        f"{base}/message",
        f"{base}/owners",
        f"{base}/attendees/{rsvp_id}",
        f"{base}/checkin/{rsvp_id}",
        f"{base}/checkin/walk-in",
        f"{base}/invitations",
        f"{base}/stops/new",
    ]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def host_user(make_user, make_organization):
    itj = make_organization("Instituto Tecnológico de Tijuana", short_name="ITJ")
    return make_user(role=Role.HOST, organization=itj, name="Hugo Host")


def test_an_organizer_gets_a_404_for_every_page_of_an_event_they_do_not_own(
    client, organizer, make_user, make_event, answer_rsvp
):
    mine = make_event(title_en="Mine")
    theirs = make_event(title_en="Theirs", owners=[make_user()])
    rsvp = answer_rsvp(theirs, name="Ana López")

    for path in event_pages(theirs, rsvp.id):
        assert client.get(path).status_code == 404, path
    for path in event_posts(theirs, rsvp.id):
        assert client.post(path).status_code == 404, path
    token = make_token(rsvp, Purpose.CHECKIN)
    assert client.get(f"/organizer/checkin/{token}").status_code == 404
    assert client.post(f"/organizer/checkin/{token}").status_code == 404
    db.session.refresh(rsvp)
    assert rsvp.checked_in_at is None

    dashboard = client.get("/organizer/").text
    assert "Mine" in dashboard and "Theirs" not in dashboard
    assert client.get(f"/organizer/events/{mine.slug}").status_code == 200


def test_an_event_without_owners_is_managed_by_admins_only(
    client, app, organizer, make_user, sign_in, make_event
):
    orphan = make_event(title_en="Orphan", owners=[])
    assert client.get(f"/organizer/events/{orphan.slug}").status_code == 404

    admin_client = app.test_client()
    sign_in(make_user(role=Role.ADMIN), admin_client)
    assert admin_client.get(f"/organizer/events/{orphan.slug}").status_code == 200
    assert "Orphan" in admin_client.get("/organizer/").text


def test_an_admin_manages_every_event(client, admin, make_user, make_event, answer_rsvp):
    event = make_event(title_en="Someone else's", owners=[make_user()])
    rsvp = answer_rsvp(event, name="Ana López")

    for path in event_pages(event, rsvp.id):
        assert client.get(path).status_code == 200, path
    assert "Someone else&#39;s" in client.get("/organizer/").text
    response = client.post(f"/organizer/events/{event.slug}/checkin/{rsvp.id}")
    assert response.status_code == 302
    db.session.refresh(rsvp)
    assert rsvp.checked_in_at is not None


def test_whoever_creates_an_event_owns_it_and_a_copy_keeps_its_owners(
    client, organizer, make_user, make_event
):
    response = client.post("/organizer/events/new", data=new_event_data(title_en="Fresh"))
    assert response.status_code == 302
    created = db.session.scalar(db.select(Event).where(Event.title_en == "Fresh"))
    assert created.owners == [organizer]

    colleague = make_user()
    event = make_event(owners=[organizer, colleague])
    copy = services.duplicate_event(event, actor=colleague)
    assert {u.id for u in copy.owners} == {organizer.id, colleague.id}


def test_an_owner_adds_a_co_owner_who_then_manages_the_event(
    client, app, organizer, make_user, sign_in, make_event, host_user
):
    event = make_event(title_en="Shared")
    colleague = make_user(name="Carla Colleague")
    page = client.get(f"/organizer/events/{event.slug}").text
    assert "Carla Colleague" in page
    assert host_user.email not in page  # host accounts are never offered as owners

    colleague_client = app.test_client()
    sign_in(colleague, colleague_client)
    assert colleague_client.get(f"/organizer/events/{event.slug}").status_code == 404

    response = client.post(f"/organizer/events/{event.slug}/owners", data={"user_id": colleague.id})
    assert response.status_code == 302
    assert colleague_client.get(f"/organizer/events/{event.slug}").status_code == 200
    assert "Shared" in colleague_client.get("/organizer/").text

    # The host account is refused even when posted by hand.
    client.post(f"/organizer/events/{event.slug}/owners", data={"user_id": host_user.id})
    db.session.refresh(event)
    assert {u.id for u in event.owners} == {organizer.id, colleague.id}

    response = client.post(f"/organizer/events/{event.slug}/owners/{organizer.id}/remove")
    assert response.status_code == 302 and response.location.endswith("/organizer/")
    assert client.get(f"/organizer/events/{event.slug}").status_code == 404


def test_owner_rules_in_the_service(app, make_user, make_event, host_user):
    owner = make_user()
    event = make_event(owners=[owner])
    with pytest.raises(LastOwner):
        access.remove_owner(event, owner)
    with pytest.raises(OwnerRefused):
        access.add_owner(event, host_user)
    with pytest.raises(OwnerRefused):
        access.add_owner(event, make_user(active=False))
    assert access.add_owner(event, owner) is False
    assert not access.can_manage(host_user, event)


def test_a_host_account_reads_only_the_host_list_of_its_organizations_events(
    client, sign_in, host_user, make_user, make_event, make_organization, answer_rsvp
):
    itj = host_user.organization
    chamber = make_organization("Regional Chamber")
    owner = make_user()
    hosted = make_event(title_en="ITJ hosts", hosts=[itj], owners=[owner])
    answer_rsvp(
        hosted,
        name="Shares",
        email="shares@example.com",
        share_with_host=True,
        phone="+52 664 000 0000",
        needs="Vegetarian",
    )
    answer_rsvp(hosted, name="Keeps private", email="private@example.com")
    other_host = make_event(title_en="Chamber hosts", hosts=[chamber], owners=[owner])
    partner_only = make_event(
        title_en="ITJ partners", hosts=[chamber], partners=[itj], owners=[owner]
    )
    sign_in(host_user)

    dashboard = client.get("/organizer/").text
    assert "ITJ hosts" in dashboard
    assert "Chamber hosts" not in dashboard and "ITJ partners" not in dashboard
    assert "/edit" not in dashboard and "/checkin" not in dashboard

    page = client.get(f"/organizer/events/{hosted.slug}/attendees").text
    assert "Shares" in page and "Keeps private" not in page
    for private in ("shares@example.com", "+52 664", "Vegetarian"):
        assert private not in page
    assert "/checkin" not in page and "/attendees/" not in page

    # The host list whatever the request asks for.
    for query in ("", "?audience=organizers"):
        rows = csv_rows(client.get(f"/organizer/events/{hosted.slug}/attendees.csv{query}"))
        assert rows[0][:2] == ["Name", "Organization"] and "Email" not in rows[0]
        assert [r[0] for r in rows[1:]] == ["Shares"]
    xlsx = client.get(f"/organizer/events/{hosted.slug}/attendees.xlsx")
    assert xlsx.status_code == 200 and "-host.xlsx" in xlsx.headers["Content-Disposition"]
    door = client.get(f"/organizer/events/{hosted.slug}/door-list?audience=organizers").text
    assert "Shares" in door and "Keeps private" not in door and "Vegetarian" not in door

    rsvp_id = hosted.id  # any id: these pages must not answer a host at all
    for path in event_pages(hosted, rsvp_id):
        if path.endswith(("/attendees", "/attendees.csv", "/attendees.xlsx", "/door-list")):
            continue
        assert client.get(path).status_code == 404, path
    for path in event_posts(hosted, rsvp_id):
        assert client.post(path).status_code == 404, path
    assert client.get("/organizer/events/new").status_code == 404
    assert client.post("/organizer/events/new").status_code == 404
    for event in (other_host, partner_only):
        for suffix in ("attendees", "attendees.csv", "attendees.xlsx", "door-list"):
            assert client.get(f"/organizer/events/{event.slug}/{suffix}").status_code == 404


def test_a_host_account_cannot_manage_accounts_but_can_change_its_password(
    client, sign_in, host_user
):
    sign_in(host_user)
    assert client.get("/organizer/accounts").status_code == 403
    assert client.get("/organizer/password").status_code == 200
    assert "New event" not in client.get("/organizer/").text


def test_anonymous_visitors_are_sent_to_sign_in(client, make_event):
    event = make_event()
    for path in ("/organizer/", f"/organizer/events/{event.slug}/attendees.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/organizer/login" in response.location


def test_a_host_account_needs_its_organization_in_the_service_and_the_database(app):
    with pytest.raises(HostNeedsOrganization):
        create_user("host@example.org", PASSWORD, Role.HOST)
    db.session.add(User(email="host@example.org", password_hash="x", role=Role.HOST))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_create_organizer_makes_a_host_account_for_a_known_organization(runner, make_organization):
    make_organization("Instituto Tecnológico de Tijuana", short_name="ITJ")
    result = runner.invoke(
        args=["create-organizer", "host@itj.mx", "--host", "itj", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "host@itj.mx"))
    assert user.role is Role.HOST and user.organization.short_name == "ITJ"

    result = runner.invoke(
        args=["create-organizer", "x@nowhere.mx", "--host", "Nowhere", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code != 0 and "Nowhere" in result.output
