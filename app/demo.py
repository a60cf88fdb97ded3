"""`flask seed-demo`: a demo calendar drawn from the coalition's June 2025 newsletter and the
SRE's press release (see shared/context). Dates are placed relative to today, so the demo always
has upcoming and past events; running it again updates the same rows instead of adding more."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.models import Role
from app.accounts.services import create_user, find_user
from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    OrganizationRole,
    Venue,
    Visibility,
)
from app.extensions import db

TIJUANA = "America/Tijuana"
SAN_DIEGO = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"

# key: (name, short name shown in listings, website)
ORGANIZATIONS = {
    "SBC": ("Smart Border Coalition", None, "https://smartbordercoalition.com"),
    "ITJ": ("Instituto Tecnológico de Tijuana", "ITJ", "https://www.tijuana.tecnm.mx"),
    "SDRCC": ("San Diego Regional Chamber of Commerce", "SDRCC", "https://sdchamber.org"),
    "AmCham": ("American Chamber of Commerce of Mexico", "AmCham", "https://www.amcham.org.mx"),
    "SDSU": ("San Diego State University", "SDSU", "https://www.sdsu.edu"),
    "INDEX": ("INDEX Tijuana", None, None),
    "CDT": ("Consejo de Desarrollo de Tijuana", "CDT", None),
    "DEITAC": ("Tijuana Economic Development Corporation", "DEITAC", None),
    "SRE": ("Secretaría de Relaciones Exteriores", "SRE", "https://www.gob.mx/sre"),
    "State": ("U.S. Department of State", None, "https://www.state.gov"),
    "Consulate": ("U.S. Consulate General Tijuana", None, None),
}

VENUES = {
    "itj": (
        "Instituto Tecnológico de Tijuana",
        "Calzada del Tecnológico S/N, Tomás Aquino",
        "Tijuana",
        "BC",
        "MX",
    ),
    "consulate": (
        "U.S. Consulate General Tijuana",
        "Paseo de las Culturas 7, Mesa de Otay",
        "Tijuana",
        "BC",
        "MX",
    ),
    "sdrcc": (
        "San Diego Regional Chamber of Commerce",
        "402 W Broadway, Suite 1000",
        "San Diego",
        "CA",
        "US",
    ),
    "ttc": (
        "Tijuana Trade Center",
        "Blvd. Misión de San Javier 10643, Zona Urbana Río",
        "Tijuana",
        "BC",
        "MX",
    ),
    "sbiwtp": (
        "South Bay International Wastewater Treatment Plant",
        "2495 Dairy Mart Rd",
        "San Ysidro",
        "CA",
        "US",
    ),
    "sab": (
        "Planta de Tratamiento San Antonio de los Buenos",
        "Carretera Escénica Tijuana–Ensenada, Punta Bandera",
        "Tijuana",
        "BC",
        "MX",
    ),
    "otay_east": (
        "Otay Mesa East Port of Entry site",
        "Enrico Fermi Dr & SR-11",
        "Otay Mesa",
        "CA",
        "US",
    ),
    "cbx": ("Cross Border Xpress (CBX)", "2745 Otay Pacific Dr", "San Diego", "CA", "US"),
    "sre": (
        "Secretaría de Relaciones Exteriores",
        "Av. Juárez 20, Centro, Cuauhtémoc",
        "Ciudad de México",
        "CDMX",
        "MX",
    ),
}


@dataclass
class DemoStop:
    title_en: str
    title_es: str
    day: int
    start: time
    end: time
    zone: str
    venue: str


@dataclass
class DemoEvent:
    slug: str
    kind: EventKind
    title_en: str
    title_es: str
    description_en: str
    description_es: str
    day: int  # days from today
    start: time
    end: time
    zone: str
    venue: str | None
    hosts: list[str]
    partners: list[str] = field(default_factory=list)
    end_day: int | None = None  # for events over several days
    status: EventStatus = EventStatus.PUBLISHED
    visibility: Visibility = Visibility.PUBLIC
    capacity: int | None = None
    guest_limit: int = 0
    deadline_days_before: int | None = None
    stops: list[DemoStop] = field(default_factory=list)


DEMO_EVENTS = [
    DemoEvent(
        slug="stakeholder-working-group-itj",
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Stakeholder Working Group Meeting",
        title_es="Reunión del Grupo de Trabajo de Actores Clave",
        description_en=(
            "The coalition's working group meets to review border-crossing times, the Otay "
            "Mesa East Port of Entry, and the agenda for the USMCA review.\n\n"
            "Hosted by ITJ on its Tijuana campus."
        ),
        description_es=(
            "El grupo de trabajo de la coalición se reúne para revisar los tiempos de cruce, el "
            "puerto de entrada Otay Mesa II y la agenda de la revisión del T-MEC.\n\n"
            "Anfitrión: ITJ, en su campus de Tijuana."
        ),
        day=12,
        start=time(9),
        end=time(11),
        zone=TIJUANA,
        venue="itj",
        hosts=["ITJ"],
        partners=["SBC"],
        capacity=60,
        guest_limit=1,
        deadline_days_before=2,
    ),
    DemoEvent(
        slug="board-of-directors-meeting",
        kind=EventKind.BOARD_MEETING,
        title_en="Smart Border Coalition Board of Directors Meeting",
        title_es="Reunión del Consejo Directivo de Smart Border Coalition",
        description_en="Quarterly meeting of the board of directors. By invitation only.",
        description_es="Reunión trimestral del consejo directivo. Solo con invitación.",
        day=26,
        start=time(12),
        end=time(14),
        zone=TIJUANA,
        venue="consulate",
        hosts=["Consulate"],
        partners=["SBC"],
        visibility=Visibility.INVITE_ONLY,
        capacity=30,
    ),
    DemoEvent(
        slug="amcham-vice-president-visit",
        kind=EventKind.VISIT,
        title_en="AmCham Vice President Pedro Casas Alatriste visits the CaliBaja region",
        title_es="Visita de Pedro Casas Alatriste, vicepresidente de AmCham, a la región CaliBaja",
        description_en=(
            "Pedro Casas Alatriste, Vice President of AmCham, shares insights on border "
            "efficiency, binational competitiveness and nearshoring: a Border Side Chat in San "
            "Diego, then a keynote in Tijuana."
        ),
        description_es=(
            "Pedro Casas Alatriste, vicepresidente de AmCham, comparte su visión sobre eficiencia "
            "fronteriza, competitividad binacional y nearshoring: una Border Side Chat en San "
            "Diego y después una conferencia magistral en Tijuana."
        ),
        day=-40,
        start=time(10),
        end=time(16),
        zone=TIJUANA,
        venue=None,
        hosts=["SBC"],
        partners=["AmCham", "SDSU", "SDRCC", "INDEX", "CDT", "DEITAC"],
        stops=[
            DemoStop(
                "Border Side Chat",
                "Border Side Chat (conversatorio)",
                0,
                time(10),
                time(11, 30),
                SAN_DIEGO,
                "sdrcc",
            ),
            DemoStop(
                "Keynote presentation",
                "Conferencia magistral",
                0,
                time(14),
                time(16),
                TIJUANA,
                "ttc",
            ),
        ],
    ),
    DemoEvent(
        slug="ambassador-calibaja-visit",
        kind=EventKind.VISIT,
        title_en="U.S. Ambassador Ron Johnson's CaliBaja visit",
        title_es="Visita del embajador de EE. UU. Ron Johnson a CaliBaja",
        description_en=(
            "The Ambassador's first official visit to the CaliBaja region: water treatment "
            "facilities, the Otay Mesa East Port of Entry, CBX, and a binational stakeholder "
            "meeting."
        ),
        description_es=(
            "Primera visita oficial del embajador a la región CaliBaja: plantas de tratamiento "
            "de agua, el puerto de entrada Otay Mesa II, CBX y una reunión binacional con "
            "actores clave."
        ),
        day=19,
        end_day=20,
        start=time(8, 30),
        end=time(13),
        zone=SAN_DIEGO,
        venue=None,
        hosts=["SBC"],
        partners=["SDRCC", "Consulate"],
        capacity=40,
        stops=[
            DemoStop(
                "Water treatment facility tour",
                "Recorrido por planta de tratamiento",
                0,
                time(8, 30),
                time(10),
                SAN_DIEGO,
                "sbiwtp",
            ),
            DemoStop(
                "Otay Mesa East Port of Entry field review",
                "Revisión en campo del puerto Otay Mesa II",
                0,
                time(11),
                time(12, 30),
                SAN_DIEGO,
                "otay_east",
            ),
            DemoStop(
                "Cross Border Xpress tour",
                "Recorrido por Cross Border Xpress",
                0,
                time(15),
                time(16),
                TIJUANA,
                "cbx",
            ),
            DemoStop(
                "San Antonio de los Buenos treatment plant tour",
                "Recorrido por la planta de tratamiento San Antonio de los Buenos",
                0,
                time(16, 30),
                time(17, 30),
                TIJUANA,
                "sab",
            ),
            DemoStop(
                "Binational stakeholder meeting",
                "Reunión binacional con actores clave",
                1,
                time(10),
                time(13),
                SAN_DIEGO,
                "sdrcc",
            ),
        ],
    ),
    DemoEvent(
        slug="binational-bridges-border-crossings-plenary",
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Binational Bridges and Border Crossings Group Plenary",
        title_es="Reunión Plenaria del Grupo Binacional sobre Puentes y Cruces Fronterizos",
        description_en=(
            "Co-hosted by the U.S. Department of State and Mexico's Secretariat of Foreign "
            "Affairs: federal, state and local leaders review cross-border infrastructure "
            "projects, from Otay Mesa East to the San Ysidro rail export project."
        ),
        description_es=(
            "Organizada por el Departamento de Estado de EE. UU. y la Secretaría de Relaciones "
            "Exteriores: autoridades federales, estatales y locales revisan los proyectos de "
            "infraestructura transfronteriza, de Otay Mesa II al proyecto ferroviario de San "
            "Ysidro."
        ),
        day=47,
        end_day=48,
        start=time(9),
        end=time(14),
        zone=MEXICO_CITY,
        venue="sre",
        hosts=["SRE", "State"],
        partners=["SBC"],
        capacity=200,
    ),
    DemoEvent(
        slug="stakeholder-working-group-sdrcc",
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Stakeholder Working Group Meeting",
        title_es="Reunión del Grupo de Trabajo de Actores Clave",
        description_en="Working group meeting hosted by the San Diego Regional Chamber.",
        description_es="Reunión del grupo de trabajo en la Cámara Regional de San Diego.",
        day=-21,
        start=time(9),
        end=time(11),
        zone=SAN_DIEGO,
        venue="sdrcc",
        hosts=["SDRCC"],
        partners=["SBC"],
        capacity=50,
    ),
    DemoEvent(
        slug="stakeholder-working-group-next",
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Stakeholder Working Group Meeting (planning)",
        title_es="Reunión del Grupo de Trabajo de Actores Clave (en planeación)",
        description_en="Not announced yet.",
        description_es="Aún no anunciada.",
        day=68,
        start=time(9),
        end=time(11),
        zone=TIJUANA,
        venue="itj",
        hosts=["ITJ"],
        status=EventStatus.DRAFT,
    ),
]


def local_instant(day: date, clock: time, zone: str) -> datetime:
    """The instant a wall-clock time on a day in `zone` stands for."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone))


def working_day(day: date, extra_days: int = 0) -> date:
    """Meetings fall on weekdays: a start that would put any of its days on a weekend (a
    two-day event starting on Friday, say) moves to the Monday after."""
    if all((day + timedelta(days=n)).weekday() < 5 for n in range(extra_days + 1)):
        return day
    return day + timedelta(days=7 - day.weekday())


def _upsert_organization(key: str) -> Organization:
    name, short_name, website = ORGANIZATIONS[key]
    org = db.session.scalar(db.select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        db.session.add(org)
    org.short_name = short_name
    org.website = website
    return org


def _upsert_venue(key: str) -> Venue:
    name, address, city, region, country = VENUES[key]
    venue = db.session.scalar(db.select(Venue).where(Venue.name == name, Venue.city == city))
    if venue is None:
        venue = Venue(name=name, city=city)
        db.session.add(venue)
    venue.address, venue.region, venue.country = address, region, country
    return venue


def seed_demo(today: date) -> list[Event]:
    """Create or refresh the demo events around `today`; returns them. Caller commits."""
    seeded = []
    for spec in DEMO_EVENTS:
        event = db.session.scalar(db.select(Event).where(Event.slug == spec.slug))
        if event is None:
            event = Event(slug=spec.slug)
            db.session.add(event)
        extra_days = (spec.end_day or spec.day) - spec.day
        first_day = working_day(today + timedelta(days=spec.day), extra_days)
        last_day = first_day + timedelta(days=extra_days)
        event.kind, event.status, event.visibility = spec.kind, spec.status, spec.visibility
        event.title_en, event.title_es = spec.title_en, spec.title_es
        event.description_en, event.description_es = spec.description_en, spec.description_es
        event.timezone = spec.zone
        event.starts_at = local_instant(first_day, spec.start, spec.zone)
        event.ends_at = local_instant(last_day, spec.end, spec.zone)
        event.venue = _upsert_venue(spec.venue) if spec.venue else None
        event.capacity, event.guest_limit = spec.capacity, spec.guest_limit
        event.rsvp_deadline = (
            event.starts_at - timedelta(days=spec.deadline_days_before)
            if spec.deadline_days_before is not None
            else None
        )
        # Replaced rows are deleted after new ones are inserted: clear and flush first so the
        # unique constraints on (event, organization) and (event, position) hold.
        event.organizations = []
        event.stops = []
        db.session.flush()
        event.organizations = [
            EventOrganization(organization=_upsert_organization(key), role=role, position=i)
            for i, (key, role) in enumerate(
                [(k, OrganizationRole.HOST) for k in spec.hosts]
                + [(k, OrganizationRole.PARTNER) for k in spec.partners]
            )
        ]
        event.stops = [
            ItineraryStop(
                position=i,
                title_en=stop.title_en,
                title_es=stop.title_es,
                timezone=stop.zone,
                starts_at=local_instant(
                    first_day + timedelta(days=stop.day), stop.start, stop.zone
                ),
                ends_at=local_instant(first_day + timedelta(days=stop.day), stop.end, stop.zone),
                venue=_upsert_venue(stop.venue),
            )
            for i, stop in enumerate(spec.stops)
        ]
        seeded.append(event)
    db.session.flush()
    return seeded


# A known account so that a newcomer can sign in after `make run`; only where the config allows
# it (development), never in production, where `flask create-organizer` makes real accounts.
DEMO_ORGANIZER_EMAIL = "demo@example.org"
DEMO_ORGANIZER_PASSWORD = "convoca-demo"


def seed_demo_organizer() -> bool:
    """Create the demo admin account unless it exists; True if it was created."""
    if find_user(DEMO_ORGANIZER_EMAIL) is not None:
        return False
    create_user(DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD, Role.ADMIN, "Demo Organizer")
    return True


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load (or refresh) the demo calendar, and in development a demo organizer account."""
    events = seed_demo(date.today())
    with_account = current_app.config["SEED_DEMO_ORGANIZER"]
    if with_account:
        seed_demo_organizer()
    db.session.commit()
    click.echo(f"Demo calendar ready: {len(events)} events.")
    if with_account:
        click.echo(
            f"Organizer sign-in (development only): {DEMO_ORGANIZER_EMAIL} / "
            f"{DEMO_ORGANIZER_PASSWORD} at /organizer/login"
        )
