"""The organizer's form for a border crossing between two stops of a visit. The rules (lanes
per port, hours, the time to allow) are app/events/crossing_plans.py's; this form offers the
choices and checks only their shape."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.events.crossings import LANE_LABELS
from app.events.models import BorderCrossing
from app.events.ports import LANES, PORTS
from app.forms import BaseForm, CountField

DEFAULT_ALLOWANCE = 45


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


class CrossingForm(BaseForm):
    port = SelectField(_l("Port of entry"), validators=[InputRequired()])
    lane = SelectField(_l("Lane"), validators=[InputRequired()])
    allowance_minutes = CountField(
        _l("Minutes to allow"),
        default=DEFAULT_ALLOWANCE,
        validators=[InputRequired(_l("Please enter a number of minutes."))],
    )

    @staticmethod
    def data_from(crossing: BorderCrossing | None) -> dict:
        if crossing is None:
            return {}
        return {
            "port": crossing.port,
            "lane": crossing.lane,
            "allowance_minutes": crossing.allowance_minutes,
        }

    def offer(self, direction: str, language: str) -> None:
        """Each port, with the lanes it offers that way and its hours: without JavaScript the
        lane list can't follow the port chosen, so the port's label says them. The lanes are
        those of any port that way (the service refuses one the chosen port lacks)."""
        self.port.choices = [
            SelectChoice(port.key, _port_label(port, direction, language))
            for port in PORTS.values()
        ]
        offered = {lane for port in PORTS.values() for lane in port.lanes_for(direction)}
        self.lane.choices = [
            SelectChoice(lane, _capitalized(str(LANE_LABELS[lane])))
            for lane in LANES
            if lane in offered
        ]


def _port_label(port, direction: str, language: str) -> str:
    lanes = ", ".join(str(LANE_LABELS[lane]) for lane in port.lanes_for(direction))
    hours = _("open 24 hours") if port.always_open else _("open %(hours)s", hours=port.hours)
    return f"{port.name(language)} — {lanes} — {hours}"
