"""The demo calendar as plain data: drawn from the coalition's June 2025 newsletter and the SRE's
press release (see shared/context), in both languages as an organizer would type it.

Nothing here touches the database: app/demo/seed.py turns it into events through the services.
Hosts, partners and venues are keys of app/demo/places.py. Days count from the day the demo is
seeded, so it always has upcoming and past events; times are wall-clock times ("09:00") in the
event's (or the stop's) own IANA zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.events.models import EventKind, EventStatus, Visibility
from app.rsvps.services import Answer
from app.security_lists.models import VenueTemplate

TIJUANA = "America/Tijuana"
SAN_DIEGO = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"


@dataclass(frozen=True)
class DemoCrossing:
    """How the visit crosses the border after a stop, as an organizer plans it."""

    port: str  # a key of app/events/ports.py
    lane: str
    allowance_minutes: int


@dataclass(frozen=True)
class DemoStop:
    """One stop of a visit; `day` counts from the visit's first day."""

    title_en: str
    title_es: str
    day: int
    start: str
    end: str
    zone: str
    venue: str  # a key of places.VENUES
    crossing: DemoCrossing | None = None  # towards the next stop, in the other country


@dataclass(frozen=True)
class DemoSecurityList:
    """The venue's security list, asking every field of its template."""

    template: VenueTemplate
    vehicle: bool = False
    due_days_before: int = 5  # due at the start's wall-clock time


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    kind: EventKind
    title_en: str
    title_es: str
    description_en: str
    description_es: str
    day: int  # its first day, counted from today
    start: str
    end: str  # on its last day
    zone: str
    venue: str | None  # a key of places.VENUES
    hosts: tuple[str, ...]  # keys of places.ORGANIZATIONS, in display order
    partners: tuple[str, ...] = ()
    days: int = 1  # how many days it runs
    status: EventStatus = EventStatus.PUBLISHED
    visibility: Visibility = Visibility.PUBLIC
    capacity: int | None = None
    guest_limit: int = 0
    deadline_days_before: int | None = None  # at the start's wall-clock time
    stops: tuple[DemoStop, ...] = ()
    invitees: tuple[str, ...] = ()  # lines as an organizer pastes them: "Name <email> es"
    answers: tuple[Answer, ...] = ()  # as the attendee would fill in the form
    security_list: DemoSecurityList | None = None
    # The security details of the attending sample answers, by email, as typed in the form;
    # a document's expiry date is filled in by the seed (it must outlive the event).
    security_details: tuple[tuple[str, dict[str, str]], ...] = ()


# The sample people are made up, with addresses on example.org, a domain reserved for examples
# (RFC 2606).
DEMO_EVENTS = (
    # No sample answers: the first event a newcomer opens, to try the RSVP form on.
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
        start="09:00",
        end="11:00",
        zone=TIJUANA,
        venue="itj",
        hosts=("ITJ",),
        partners=("SBC",),
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
        start="12:00",
        end="14:00",
        zone=TIJUANA,
        venue="consulate",
        hosts=("Consulate",),
        partners=("SBC",),
        visibility=Visibility.INVITE_ONLY,
        capacity=30,
        # The board meets inside the U.S. Consulate General in Tijuana.
        security_list=DemoSecurityList(VenueTemplate.US_CONSULATE, due_days_before=7),
        security_details=(
            (
                "patricia.gomez@example.org",
                {
                    "given_names": "Patricia",
                    "paternal_surname": "Gómez",
                    "maternal_surname": "Robles",
                    "birth_date": "1974-03-14",
                    "nationality": "MX",
                    "id_type": "passport",
                    "id_number": "G00012345",
                },
            ),
            (
                "thomas.reed@example.org",
                {
                    "given_names": "Thomas James",
                    "paternal_surname": "Reed",
                    "birth_date": "1968-11-02",
                    "nationality": "US",
                    "id_type": "us_passport_card",
                    "id_number": "C00054321",
                },
            ),
        ),
        invitees=(
            "Patricia Gómez Robles <patricia.gomez@example.org> es",
            "Thomas Reed <thomas.reed@example.org> en",
            "Verónica Salas Ibarra <veronica.salas@example.org> es",
            "Michael Brennan <michael.brennan@example.org> en",
        ),
        answers=(
            Answer(
                "Patricia Gómez Robles",
                "patricia.gomez@example.org",
                "Smart Border Coalition",
                attending=True,
                language="es",
                job_title="Tesorera del consejo",
            ),
            Answer(
                "Thomas Reed",
                "thomas.reed@example.org",
                "Smart Border Coalition",
                attending=True,
                job_title="Board member",
            ),
            Answer(
                "Verónica Salas Ibarra",
                "veronica.salas@example.org",
                "Smart Border Coalition",
                attending=False,
                language="es",
            ),
        ),
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
        start="10:00",
        end="16:00",
        zone=TIJUANA,
        venue=None,
        hosts=("SBC",),
        partners=("AmCham", "SDSU", "SDRCC", "INDEX", "CDT", "DEITAC"),
        stops=(
            DemoStop(
                "Border Side Chat",
                "Border Side Chat (conversatorio)",
                0,
                "10:00",
                "11:30",
                SAN_DIEGO,
                "sdrcc",
            ),
            DemoStop(
                "Keynote presentation", "Conferencia magistral", 0, "14:00", "16:00", TIJUANA, "ttc"
            ),
        ),
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
        days=2,
        start="08:30",
        end="13:00",
        zone=SAN_DIEGO,
        venue=None,
        hosts=("SBC",),
        partners=("SDRCC", "Consulate"),
        capacity=40,
        # CBP admits the port-of-entry tours only with each visitor's details, cars included.
        security_list=DemoSecurityList(VenueTemplate.PORT_OF_ENTRY, vehicle=True),
        security_details=(
            (
                "lucia.hernandez@example.org",
                {
                    "given_names": "Lucía",
                    "paternal_surname": "Hernández",
                    "maternal_surname": "Ortega",
                    "birth_date": "1980-01-01",
                    "nationality": "MX",
                    "id_type": "ine",
                    "id_number": "HRORLC80010102M100",
                },
            ),
            (
                "daniel.whitaker@example.org",
                {
                    "given_names": "Daniel",
                    "paternal_surname": "Whitaker",
                    "birth_date": "1985-07-21",
                    "nationality": "US",
                    "id_type": "sentri",
                    "id_number": "000123456",
                    "plate": "8ABC123",
                    "plate_region": "California",
                    "vehicle_make": "Toyota Prius",
                    "vehicle_colour": "Gray",
                },
            ),
        ),
        stops=(
            DemoStop(
                "Water treatment facility tour",
                "Recorrido por planta de tratamiento",
                0,
                "08:30",
                "10:00",
                SAN_DIEGO,
                "sbiwtp",
            ),
            DemoStop(
                "Otay Mesa East Port of Entry field review",
                "Revisión en campo del puerto Otay Mesa II",
                0,
                "11:00",
                "12:30",
                SAN_DIEGO,
                "otay_east",
            ),
            DemoStop(
                "Cross Border Xpress tour",
                "Recorrido por Cross Border Xpress",
                0,
                "15:00",
                "16:00",
                SAN_DIEGO,  # the CBX terminal is on the San Diego side: its venue's zone
                "cbx",
                crossing=DemoCrossing("otay_mesa", "general", 30),
            ),
            DemoStop(
                "San Antonio de los Buenos treatment plant tour",
                "Recorrido por la planta de tratamiento San Antonio de los Buenos",
                0,
                "16:30",
                "17:30",
                TIJUANA,
                "sab",
            ),
            # The night in Tijuana, then north to San Diego for the meeting.
            DemoStop(
                "Working breakfast with Baja California business leaders",
                "Desayuno de trabajo con líderes empresariales de Baja California",
                1,
                "07:30",
                "08:45",
                TIJUANA,
                "ttc",
                crossing=DemoCrossing("otay_mesa", "sentri", 45),
            ),
            DemoStop(
                "Binational stakeholder meeting",
                "Reunión binacional con actores clave",
                1,
                "10:00",
                "13:00",
                SAN_DIEGO,
                "sdrcc",
            ),
        ),
        answers=(
            Answer(
                "Lucía Hernández Ortega",
                "lucia.hernandez@example.org",
                "Consejo de Desarrollo de Tijuana",
                attending=True,
                language="es",
                job_title="Directora de proyectos",
                crossing_document="mx_passport_visa",
            ),
            Answer(
                "Daniel Whitaker",
                "daniel.whitaker@example.org",
                "San Diego Regional Chamber of Commerce",
                attending=True,
                job_title="Policy analyst",
                crossing_document="sentri",
            ),
            Answer(
                "Rosa Elena Castañeda",
                "rosa.castaneda@example.org",
                "INDEX Tijuana",
                attending=False,
                language="es",
            ),
        ),
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
        days=2,
        start="09:00",
        end="14:00",
        zone=MEXICO_CITY,
        venue="sre",
        hosts=("SRE", "State"),
        partners=("SBC",),
        capacity=200,
        answers=(
            Answer(
                "Karen Liu",
                "karen.liu@example.org",
                "SANDAG",
                attending=True,
                job_title="Senior regional planner",
            ),
            Answer(
                "Jorge Ibarra Soto",
                "jorge.ibarra@example.org",
                "ADMICARGA",
                attending=True,
                language="es",
            ),
        ),
    ),
    DemoEvent(
        slug="stakeholder-working-group-sdrcc",
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Stakeholder Working Group Meeting",
        title_es="Reunión del Grupo de Trabajo de Actores Clave",
        description_en="Working group meeting hosted by the San Diego Regional Chamber.",
        description_es="Reunión del grupo de trabajo en la Cámara Regional de San Diego.",
        day=-21,
        start="09:00",
        end="11:00",
        zone=SAN_DIEGO,
        venue="sdrcc",
        hosts=("SDRCC",),
        partners=("SBC",),
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
        start="09:00",
        end="11:00",
        zone=TIJUANA,
        venue="itj",
        hosts=("ITJ",),
        status=EventStatus.DRAFT,
    ),
)

# A known account so that a newcomer can sign in after `make run`; only where the config allows
# it (development), never in production, where `flask create-organizer` makes real accounts.
DEMO_ORGANIZER_EMAIL = "demo@example.org"
DEMO_ORGANIZER_PASSWORD = "convoca-demo-organizer"
