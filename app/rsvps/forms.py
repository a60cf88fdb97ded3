"""The public RSVP form and the attendee's change form."""

from typing import Self

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from app.events.crossings import CROSSING_DOCUMENTS, DOCUMENT_LABELS, crosses_border
from app.events.models import Event
from app.forms import (
    BaseForm,
    email_address,
    no_control_characters,
    none_if_blank,
    single_line,
    strip_filter,
)
from app.i18n import current_language
from app.rsvps.models import Rsvp
from app.security_lists.forms import SecurityFields
from app.security_lists.queries import collects_details, has_details

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]
RESPONSE_CHOICES = [
    SelectChoice("yes", _l("Yes, I'll attend")),
    SelectChoice("no", _l("No, I can't attend")),
]
# "" first: an answer can go back to not saying, which radio buttons can't do without it.
CROSSING_CHOICES = [
    SelectChoice("", _l("Not sure yet")),
    *(SelectChoice(key, DOCUMENT_LABELS[key]) for key in CROSSING_DOCUMENTS),
]


class AnswerFields(SecurityFields):
    """What both forms ask: the response, guests, language and needs; and, at a venue that
    keeps a security list, the details it asks of those attending."""

    response = RadioField(
        _l("Will you attend?"),
        choices=RESPONSE_CHOICES,
        validators=[InputRequired(_l("Please choose whether you'll attend."))],
    )
    guests = SelectField(_l("Guests you'll bring"), coerce=int, default=0)
    language = RadioField(
        _l("Language for emails"),
        choices=LANGUAGE_CHOICES,
        validators=[InputRequired(_l("Please choose a language."))],
    )
    needs = TextAreaField(
        _l("Accessibility or dietary needs (optional)"),
        filters=[none_if_blank],
        validators=[Optional(), Length(max=1000), no_control_characters],
    )
    # Asked on visits that cross the border: what to carry follows from it (app/events/crossings).
    crossing_document = RadioField(
        _l("How will you cross the border? (optional)"),
        choices=CROSSING_CHOICES,
        default="",
        validators=[Optional()],
    )

    def fit_to(self, event: Event, rsvp: Rsvp | None = None) -> None:
        """Offer 0..the event's guest limit, or drop the question when guests aren't allowed.
        Ask the venue's details, unless `rsvp` has them on record already (they are corrected
        on the personal page, apart from the answer)."""
        if event.allows_guests:
            self.guests.choices = [SelectChoice(n, str(n)) for n in range(event.max_guests + 1)]
        else:
            del self.guests
        if not crosses_border(event):
            del self.crossing_document
        security_list = collects_details(event)
        if rsvp is not None and security_list is not None and has_details(rsvp):
            security_list = None
        self.ask_details(security_list, current_language())

    @classmethod
    def for_rsvp(cls, rsvp: Rsvp, *, unsent: bool = False, **data) -> Self:
        """The form showing an RSVP's current answer; on POST, what was sent takes precedence
        (unless `unsent`: the POST was another form's on the same page)."""
        current = {
            "response": "yes" if rsvp.status.is_attending else "no",
            "guests": rsvp.guests,
            "language": rsvp.language,
            "needs": rsvp.needs,
            "crossing_document": rsvp.crossing_document or "",
        }
        sent = {"formdata": None} if unsent else {}
        form = cls(data=current | data, **sent)
        form.fit_to(rsvp.event, rsvp)
        return form

    def answer_changes(self) -> dict:
        """The new answer, as `services.change_answer` takes it."""
        return {
            "attending": self.attending,
            "guests": self.guest_count,
            "language": self.language.data,
            "needs": self.needs.data,
        } | ({"crossing_document": self.crossing_told} if "crossing_document" in self else {})

    @property
    def crossing_told(self) -> str | None:
        """The document they cross with; None when not told (or not asked)."""
        return (self.crossing_document.data or None) if "crossing_document" in self else None

    @property
    def attending(self) -> bool:
        return self.response.data == "yes"

    @property
    def wants_details(self) -> bool:
        return self.attending  # nobody not coming is asked for their ID

    @property
    def guest_count(self) -> int:
        return self.guests.data if "guests" in self and self.attending else 0


class RsvpForm(AnswerFields):
    name = StringField(
        _l("Full name"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter your name.")), Length(max=120), single_line],
    )
    email = StringField(
        _l("Email"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter your email.")), Length(max=254), email_address],
        render_kw={"type": "email", "autocomplete": "email", "inputmode": "email"},
    )
    organization = StringField(
        _l("Organization"),
        filters=[strip_filter],
        validators=[
            DataRequired(_l("Please enter your organization.")),
            Length(max=200),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    job_title = StringField(
        _l("Job title (optional)"),
        filters=[none_if_blank],
        validators=[Optional(), Length(max=120), single_line],
        render_kw={"autocomplete": "organization-title"},
    )
    phone = StringField(
        _l("Phone (optional)"),
        filters=[none_if_blank],
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^\+?[0-9 ()./-]{5,40}$", message=_l("Please enter a phone number.")),
        ],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    share_with_host = BooleanField(
        _l("Include me in the attendee list shared with the event's host")
    )
    # A honeypot: hidden from people, filled in by bots. See views.submit().
    website = StringField(_l("Leave this field empty"), filters=[strip_filter])
    # Sent by the "join the waitlist" button offered to a party larger than the seats left.
    join_waitlist = BooleanField(_l("Join the waitlist"))
    # The browser's IANA zone, set by static/js/local-time.js; services keep only a real zone.
    viewer_timezone = HiddenField(filters=[strip_filter])
    offer_waitlist = False

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)


class ChangeRsvpForm(AnswerFields):
    pass


class LostLinkForm(BaseForm):
    """Ask for one's personal link again, by address."""

    email = StringField(
        _l("Your email"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter your email.")), Length(max=254), email_address],
        render_kw={"type": "email", "autocomplete": "email", "inputmode": "email"},
    )

    def __init__(self, *args, **kwargs):
        # Its fields would otherwise share names and ids with the RSVP form's on the same page.
        super().__init__(*args, prefix="lost", **kwargs)
