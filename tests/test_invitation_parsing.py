"""Reading invitee lists: pasted lines and CSV files as spreadsheets save them."""

import pytest

from app.invitations.parsing import (
    MAX_ENTRIES,
    InviteeListError,
    LineProblem,
    ListProblem,
    parse_csv,
    parse_invitee_lines,
    parse_pasted,
)


def people(entries) -> list[tuple[str, str, str | None]]:
    return [(e.invitee.name, e.invitee.email, e.invitee.language) for e in entries if e.is_valid]


def problems(entries) -> list[tuple[int, LineProblem, str | None]]:
    return [(e.number, e.problem, e.detail) for e in entries if not e.is_valid]


def test_pasted_lines_in_the_usual_shapes():
    entries = parse_invitee_lines(
        "Juan Pérez <juan@ejemplo.mx>\n"
        '"Núñez, María José" <MJ.Nunez@Ejemplo.MX>\n'
        "ana@example.com\n"
        "bob@example.com, Bob O'Brien\n"
        "Zoë Ångström\tzoe@example.org\n"
        "Peña Nieto, Enrique, enrique@ejemplo.mx\n"
        "Ludivine <ludivine@example.fr>;\n"
    )
    assert people(entries) == [
        ("Juan Pérez", "juan@ejemplo.mx", None),
        # The domain is lower-cased; the local part is kept as typed (it is compared folded).
        ("Núñez, María José", "MJ.Nunez@ejemplo.mx", None),
        ("", "ana@example.com", None),
        ("Bob O'Brien", "bob@example.com", None),
        ("Zoë Ångström", "zoe@example.org", None),
        ("Peña Nieto, Enrique", "enrique@ejemplo.mx", None),
        ("Ludivine", "ludivine@example.fr", None),
    ]
    assert [e.number for e in entries] == [1, 2, 3, 4, 5, 6, 7]


def test_a_trailing_language_code_sets_that_persons_language():
    entries = parse_invitee_lines("María <maria@ejemplo.mx>, es\nJohn Smith, john@example.com, EN")
    assert people(entries) == [
        ("María", "maria@ejemplo.mx", "es"),
        ("John Smith", "john@example.com", "en"),
    ]


def test_invalid_lines_are_reported_with_their_line_numbers_and_reasons():
    entries = parse_invitee_lines(
        "# board members\n"
        "Juan Pérez <juan@ejemplo.mx>\n"
        "\n"
        "Juan Pérez\n"
        "ana@example.com bob@example.com\n"
        "Broken <broken@example\n"
        "Ana > <ana@example.com>\n"
        f"{'x' * 121} <long@example.com>\n"
        "Bell\x07 <bell@example.com>\n"
    )
    assert people(entries) == [("Juan Pérez", "juan@ejemplo.mx", None)]
    assert problems(entries) == [
        (4, LineProblem.NO_EMAIL, None),
        (5, LineProblem.SEVERAL_EMAILS, None),
        (6, LineProblem.INVALID_EMAIL, "broken@example"),
        (7, LineProblem.STRAY_BRACKETS, None),
        (8, LineProblem.NAME_TOO_LONG, None),
        (9, LineProblem.CONTROL_CHARACTERS, None),
    ]
    assert entries[1].text == "Juan Pérez"  # quoted back as given


def test_a_header_line_is_skipped_and_duplicates_are_left_to_the_service():
    entries = parse_invitee_lines("name, email\nAna <ana@example.com>\nANA@example.com\n")
    assert people(entries) == [("Ana", "ana@example.com", None), ("", "ANA@example.com", None)]
    assert [e.number for e in entries] == [2, 3]


def test_csv_from_excel_with_bom_header_and_crlf():
    data = (
        "\ufeffName,Email,Language\r\n"
        '"Pérez, Juan",juan@ejemplo.mx,es\r\n'
        "Ana López,ANA@example.com,\r\n"
        "\r\n"
        'Ludwig "Lu" Ärger,not-an-address,en\r\n'
        "Pierre,pierre@example.fr,fr\r\n"
    ).encode()
    entries = parse_csv(data)
    assert people(entries) == [
        ("Pérez, Juan", "juan@ejemplo.mx", "es"),
        ("Ana López", "ANA@example.com", None),
    ]
    assert problems(entries) == [
        (5, LineProblem.NO_EMAIL, None),
        (6, LineProblem.UNKNOWN_LANGUAGE, "fr"),
    ]


def test_csv_from_spanish_excel_semicolons_split_names_and_windows_1252():
    data = (
        "Nombre;Apellidos;Correo electrónico;Idioma\r\n"
        "María José;Núñez Peña;mj@ejemplo.mx;Español\r\n"
        "John;Smith;john@example.com;English\r\n"
    ).encode("cp1252")
    assert people(parse_csv(data)) == [
        ("María José Núñez Peña", "mj@ejemplo.mx", "es"),
        ("John Smith", "john@example.com", "en"),
    ]


def test_csv_without_header_in_either_column_order():
    data = "Juan Pérez,juan@ejemplo.mx\nana@example.com,Ana López\nsolo@example.com\n"
    assert people(parse_csv(data.encode("utf-8-sig"))) == [
        ("Juan Pérez", "juan@ejemplo.mx", None),
        ("Ana López", "ana@example.com", None),
        ("", "solo@example.com", None),
    ]


def test_a_pasted_spreadsheet_with_a_header_is_read_as_csv():
    pasted = "nombre\tcorreo\tidioma\nMaría\tmaria@ejemplo.mx\tes\n"
    assert people(parse_pasted(pasted)) == [("María", "maria@ejemplo.mx", "es")]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"name,organization\nAna,ITJ\n", ListProblem.NO_EMAIL_COLUMN),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ListProblem.NOT_TEXT),
        (b"\x81\x8d\x8f", ListProblem.NOT_TEXT),
        (b"\xef\xbb\xbfname,email\r\n", ListProblem.EMPTY),
        ("".join(f"p{n}@example.com\n" for n in range(MAX_ENTRIES + 1)).encode(), "too_many"),
    ],
)
def test_unusable_files_are_refused_as_a_whole(data, problem):
    with pytest.raises(InviteeListError) as refused:
        parse_csv(data)
    assert refused.value.problem == problem
