"""Why an answer was refused. Services raise these; `app/rsvps/labels.py` says them to a person."""

import enum


class ClosedReason(enum.StrEnum):
    NOT_PUBLISHED = "not_published"
    CANCELLED = "cancelled"
    STARTED = "started"
    DEADLINE_PASSED = "deadline_passed"


class RsvpError(Exception):
    """A rule stopped the answer; the view turns it into a message."""


class RsvpsClosed(RsvpError):
    def __init__(self, reason: ClosedReason):
        super().__init__(reason.value)
        self.reason = reason


class TooManyGuests(RsvpError):
    def __init__(self, limit: int):
        super().__init__(f"at most {limit} guests")
        self.limit = limit


class NotEnoughSeats(RsvpError):
    """A confirmed attendee asked for more guests than the seats left."""

    def __init__(self, seats_left: int):
        super().__init__(f"{seats_left} seats left")
        self.seats_left = seats_left


class PartyTooLarge(RsvpError):
    """A new party needs more seats than are left, though some are: the person chooses to come
    with fewer guests or to wait, all together, on the waitlist."""

    def __init__(self, seats_left: int, seats_wanted: int):
        super().__init__(f"{seats_left} seats left, {seats_wanted} wanted")
        self.seats_left = seats_left
        self.seats_wanted = seats_wanted


class NotInvited(RsvpError):
    """An invite-only event takes answers only through a live invitation to it."""

    def __init__(self):
        super().__init__("not invited")


class DetailsRequired(RsvpError):
    """The event's venue keeps a security list: attending needs the details it asks
    (app/security_lists)."""

    def __init__(self):
        super().__init__("the venue's security list needs this attendee's details")
