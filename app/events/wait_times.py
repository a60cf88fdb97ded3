"""Current waits at the ports of entry, from CBP's public border wait times feed.

Off unless BORDER_WAIT_TIMES_URL is set (CBP's feed is https://bwt.cbp.gov/xml/bwt.xml). The
feed is read at most every few minutes (the cache is Flask-Caching's, shared like the page
cache), and a feed that is down, slow, too large or not the XML we know reads as "not available":
an organizer's page never waits on CBP for more than a few seconds, and never fails because of it.
CBP reports the way into the US only, so southbound crossings have no wait.
"""

from __future__ import annotations

import enum
import http.client
import re
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo

from flask import current_app

from app.events.ports import GENERAL, PEDESTRIAN, PORT_ZONE, READY_LANE, SENTRI
from app.extensions import cache

try:  # hardened against entity tricks when installed; the checks below hold either way
    from defusedxml.ElementTree import fromstring as parse_xml
except ImportError:  # pragma: no cover - depends on the environment
    from xml.etree.ElementTree import fromstring as parse_xml

TIMEOUT_SECONDS = 3  # for the whole read, not only each socket operation
MAX_BYTES = 5 * 1024 * 1024  # the feed is a few hundred KB
CACHE_SECONDS = 300  # CBP updates hourly at best
FAILURE_CACHE_SECONDS = 60  # a feed that is down is asked again soon, but not on every page

# Where each lane's numbers are in a <port>.
LANE_PATHS = {
    GENERAL: "passenger_vehicle_lanes/standard_lanes",
    READY_LANE: "passenger_vehicle_lanes/ready_lanes",
    SENTRI: "passenger_vehicle_lanes/NEXUS_SENTRI_lanes",
    PEDESTRIAN: "pedestrian_lanes/standard_lanes",
}
# "At 10:05 am PDT", as CBP writes a lane's update time.
UPDATE_TIME = re.compile(r"(\d{1,2}):(\d{2})\s*([ap])\.?m\.?", re.IGNORECASE)


class FeedUnavailable(Exception):
    """The feed could not be read or understood."""


class LaneState(enum.StrEnum):
    REPORTED = "reported"  # a delay in minutes (0: no delay)
    CLOSED = "closed"
    NOT_REPORTED = "not_reported"  # "Update Pending", "N/A", or nothing


@dataclass(frozen=True)
class LaneWait:
    state: LaneState
    delay_minutes: int | None = None
    lanes_open: int | None = None
    updated: clock | None = None  # the port's local time of the update


def wait_times_enabled() -> bool:
    return bool(current_app.config.get("BORDER_WAIT_TIMES_URL"))


def fetch_feed(url: str) -> bytes:
    """The feed's bytes, read within TIMEOUT_SECONDS and at most MAX_BYTES."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FeedUnavailable(f"not a web address: {url!r}")
    deadline = time.monotonic() + TIMEOUT_SECONDS
    request = urllib.request.Request(url, headers={"User-Agent": "Convoca"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            chunks, size = [], 0
            # read1: whatever has arrived, so a feed that trickles in meets the deadline too.
            while chunk := response.read1(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FeedUnavailable("feed larger than the cap")
                if time.monotonic() > deadline:
                    raise FeedUnavailable("feed too slow")
                chunks.append(chunk)
    # Refused, unreachable, timed out, an HTTP error status (URLError), a body cut short.
    except (OSError, http.client.HTTPException) as error:
        raise FeedUnavailable(str(error) or type(error).__name__) from error
    return b"".join(chunks)


def _number(element: Element | None, name: str) -> int | None:
    text = element.findtext(name) if element is not None else None
    try:
        return int(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def _update_time(text: str | None) -> clock | None:
    match = UPDATE_TIME.search(text or "")
    if match is None:
        return None
    hour, minute = int(match[1]) % 12, int(match[2])
    if match[3].lower() == "p":
        hour += 12
    return clock(hour, minute) if minute < 60 else None


def _lane_wait(element: Element | None) -> LaneWait:
    if element is None:
        return LaneWait(LaneState.NOT_REPORTED)
    status = (element.findtext("operational_status") or "").strip().lower()
    delay = _number(element, "delay_minutes")
    updated = _update_time(element.findtext("update_time"))
    if status == "lanes closed":
        return LaneWait(LaneState.CLOSED, updated=updated)
    if status not in ("delay", "no delay") or delay is None:
        return LaneWait(LaneState.NOT_REPORTED)
    return LaneWait(LaneState.REPORTED, delay, _number(element, "lanes_open"), updated)


def parse_feed(data: bytes) -> dict[tuple[str, str], LaneWait]:
    """Each (CBP port number, lane) the feed reports, with its wait."""
    if len(data) > MAX_BYTES:
        raise FeedUnavailable("feed larger than the cap")
    if b"<!DOCTYPE" in data.upper():
        raise FeedUnavailable("CBP's feed has no DOCTYPE (nor entities); this one does")
    try:
        root = parse_xml(data)
    except (ParseError, ValueError) as error:  # defusedxml's refusals are ValueErrors
        raise FeedUnavailable(f"malformed feed: {error}") from error
    if root.tag != "border_wait_time":
        raise FeedUnavailable(f"not a wait times feed: <{root.tag}>")
    waits = {}
    for port in root.iter("port"):
        number = (port.findtext("port_number") or "").strip()
        if not number:
            continue
        for lane, path in LANE_PATHS.items():
            waits[(number, lane)] = _lane_wait(port.find(path))
    return waits


def current_waits() -> dict[tuple[str, str], LaneWait] | None:
    """The feed's waits, from the cache when fresh; None when the feature is off or the feed
    is not available now."""
    url = current_app.config.get("BORDER_WAIT_TIMES_URL")
    if not url:
        return None
    key = f"border-wait-times:{url}"
    cached = cache.get(key)
    if cached is not None:
        return cached.get("waits")
    try:
        waits = parse_feed(fetch_feed(url))
    except FeedUnavailable as error:
        current_app.logger.warning("Border wait times not available: %s", error)
        cache.set(key, {"waits": None}, timeout=FAILURE_CACHE_SECONDS)
        return None
    cache.set(key, {"waits": waits}, timeout=CACHE_SECONDS)
    return waits


def wait_at(cbp_number: str, lane: str, waits: dict | None) -> LaneWait:
    """The wait at a port's lane in `waits`, NOT_REPORTED when the feed has none."""
    if waits is None:
        return LaneWait(LaneState.NOT_REPORTED)
    return waits.get((cbp_number, lane), LaneWait(LaneState.NOT_REPORTED))


def updated_today(updated: clock, now: datetime) -> datetime:
    """An update time of day as an instant today on the ports' clock (for display)."""
    local = now.astimezone(ZoneInfo(PORT_ZONE))
    return local.replace(hour=updated.hour, minute=updated.minute, second=0, microsecond=0)
