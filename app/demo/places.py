"""Who and where in the demo calendar: its organizations and venues, as plain data.

Events in app/demo/data.py name them by key. Venues are given as an organizer types a new one,
with the time zone that events and stops there then take.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.events.directory import NewVenue

TIJUANA = "America/Tijuana"
SAN_DIEGO = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    short_name: str | None = None  # shown in listings instead of the name
    website: str | None = None


ORGANIZATIONS = {
    "SBC": DemoOrganization("Smart Border Coalition", None, "https://smartbordercoalition.com"),
    "ITJ": DemoOrganization(
        "Instituto Tecnológico de Tijuana", "ITJ", "https://www.tijuana.tecnm.mx"
    ),
    "SDRCC": DemoOrganization(
        "San Diego Regional Chamber of Commerce", "SDRCC", "https://sdchamber.org"
    ),
    "AmCham": DemoOrganization(
        "American Chamber of Commerce of Mexico", "AmCham", "https://www.amcham.org.mx"
    ),
    "SDSU": DemoOrganization("San Diego State University", "SDSU", "https://www.sdsu.edu"),
    "INDEX": DemoOrganization("INDEX Tijuana"),
    "CDT": DemoOrganization("Consejo de Desarrollo de Tijuana", "CDT"),
    "DEITAC": DemoOrganization("Tijuana Economic Development Corporation", "DEITAC"),
    "SRE": DemoOrganization("Secretaría de Relaciones Exteriores", "SRE", "https://www.gob.mx/sre"),
    "State": DemoOrganization("U.S. Department of State", None, "https://www.state.gov"),
    "Consulate": DemoOrganization("U.S. Consulate General Tijuana"),
}

VENUES = {
    "itj": NewVenue(
        name="Instituto Tecnológico de Tijuana",
        address="Calzada del Tecnológico S/N, Tomás Aquino",
        city="Tijuana",
        region="BC",
        country="MX",
        timezone=TIJUANA,
    ),
    "consulate": NewVenue(
        name="U.S. Consulate General Tijuana",
        address="Paseo de las Culturas 7, Mesa de Otay",
        city="Tijuana",
        region="BC",
        country="MX",
        timezone=TIJUANA,
    ),
    "sdrcc": NewVenue(
        name="San Diego Regional Chamber of Commerce",
        address="402 W Broadway, Suite 1000",
        city="San Diego",
        region="CA",
        country="US",
        timezone=SAN_DIEGO,
    ),
    "ttc": NewVenue(
        name="Tijuana Trade Center",
        address="Blvd. Misión de San Javier 10643, Zona Urbana Río",
        city="Tijuana",
        region="BC",
        country="MX",
        timezone=TIJUANA,
    ),
    "sbiwtp": NewVenue(
        name="South Bay International Wastewater Treatment Plant",
        address="2495 Dairy Mart Rd",
        city="San Ysidro",
        region="CA",
        country="US",
        timezone=SAN_DIEGO,
    ),
    "sab": NewVenue(
        name="Planta de Tratamiento San Antonio de los Buenos",
        address="Carretera Escénica Tijuana–Ensenada, Punta Bandera",
        city="Tijuana",
        region="BC",
        country="MX",
        timezone=TIJUANA,
    ),
    "otay_east": NewVenue(
        name="Otay Mesa East Port of Entry site",
        address="Enrico Fermi Dr & SR-11",
        city="Otay Mesa",
        region="CA",
        country="US",
        timezone=SAN_DIEGO,
    ),
    "cbx": NewVenue(
        name="Cross Border Xpress (CBX)",
        address="2745 Otay Pacific Dr",
        city="San Diego",
        region="CA",
        country="US",
        timezone=SAN_DIEGO,
    ),
    "sre": NewVenue(
        name="Secretaría de Relaciones Exteriores",
        address="Av. Juárez 20, Centro, Cuauhtémoc",
        city="Ciudad de México",
        region="CDMX",
        country="MX",
        timezone=MEXICO_CITY,
    ),
}
