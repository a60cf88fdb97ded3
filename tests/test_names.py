"""Last names for the door list, with Spanish double surnames."""

import pytest

from app.rsvps.names import last_name_key, split_name


@pytest.mark.parametrize(
    ("name", "language", "listed"),
    [
        ("María José García López", "es", "García López, María José"),
        ("María José García López", "en", "García López, María José"),  # four words: two
        ("Ana García López", "es", "García López, Ana"),
        ("Ana García López", "en", "López, Ana García"),  # three words in English: last
        ("María José García", "es", "García, María José"),  # José is a given name
        ("John F. Kennedy", "es", "Kennedy, John F."),  # an initial is never a surname
        ("Juan Carlos de la Fuente Ruiz", "es", "de la Fuente Ruiz, Juan Carlos"),
        ("José Ortega y Gasset", "es", "Ortega y Gasset, José"),
        ("María de la Luz Hernández", "es", "Hernández, María de la Luz"),
        ("Zoe Adams", "en", "Adams, Zoe"),
        ("García López, María José", "en", "García López, María José"),  # a comma decides
        ("Madonna", "en", "Madonna"),
        ("Ana Le", "en", "Le, Ana"),  # a "particle" at the end is a surname
        ("John E Smith", "en", "Smith, John E"),
    ],
)
def test_split_name(name, language, listed):
    assert split_name(name, language).listed == listed


def test_sorting_ignores_case_accents_and_particles_and_puts_n_tilde_after_n():
    people = [
        ("Ana Zúñiga", "es"),
        ("Pedro Ñuño", "es"),
        ("Luis Nuno", "en"),
        ("Juan de la Fuente", "es"),
        ("eva ávila", "en"),
        ("Bob Oliver", "en"),
        ("Carlos Avila", "en"),
    ]
    ordered = [name for name, lang in sorted(people, key=lambda p: last_name_key(*p))]
    assert ordered == [
        "Carlos Avila",
        "eva ávila",
        "Juan de la Fuente",
        "Luis Nuno",
        "Pedro Ñuño",
        "Bob Oliver",
        "Ana Zúñiga",
    ]
