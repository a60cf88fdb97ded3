/* The reader's own clock next to event times, and their time zone on the RSVP form.
 *
 * The server writes each time on the event's clock, in the event's language, as
 *   <time datetime="2026-08-14T15:00:00Z" data-end="…" data-zone="America/Mexico_City">…</time>
 * (app/i18n.py, time_element). Where the browser's zone shows another time at that instant,
 * " · 7:00 AM PST in your time zone" is added after it; the words come translated from this
 * script's data-your-zone attribute, with {time} where the time goes. Without JavaScript the
 * page still reads correctly, on the event's clock.
 *
 * The RSVP form's hidden input viewer_timezone gets the browser's IANA zone, so that emails
 * can show both clocks too; the server ignores anything that is not a real zone.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var label = (script && script.dataset.yourZone) || "{time}";
  var language = document.documentElement.lang || "en";
  var here;
  try {
    here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return; // a browser without time-zone support keeps the event's clock alone
  }
  if (!here) {
    return;
  }

  // The wall-clock reading of `date` in `zone`: equal readings mean equal offsets then.
  function wallClock(date, zone) {
    return new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    }).format(date);
  }

  function localDay(date, zone) {
    return wallClock(date, zone).slice(0, 10);
  }

  // "PST", "CDT", or "GMT+1" where no abbreviation is in common use.
  function zoneName(date) {
    var parts = new Intl.DateTimeFormat("en-US", { timeZone: here, timeZoneName: "short" })
      .formatToParts(date);
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].type === "timeZoneName") {
        return parts[i].value;
      }
    }
    return "";
  }

  function clock(date) {
    return date.toLocaleTimeString(language, { timeZone: here, hour: "numeric", minute: "2-digit" });
  }

  function day(date) {
    return date.toLocaleDateString(language, {
      timeZone: here,
      weekday: "short",
      month: "short",
      day: "numeric",
    });
  }

  // The range on this browser's clock, naming its days only where they are not the event's
  // (as app/i18n.py does in emails).
  function localRange(start, end, eventZone) {
    var sameDays = localDay(start, eventZone) === localDay(start, here) &&
      (!end || localDay(end, eventZone) === localDay(end, here));
    var oneDay = !end || localDay(start, here) === localDay(end, here);
    var first = (sameDays ? "" : day(start) + ", ") + clock(start);
    if (!end) {
      return first + " " + zoneName(start);
    }
    if (oneDay) {
      return first + "–" + clock(end) + " " + zoneName(end);
    }
    return first + " " + zoneName(start) + " – " + (sameDays ? "" : day(end) + ", ") +
      clock(end) + " " + zoneName(end);
  }

  function addLocalClock(element) {
    var zone = element.dataset.zone;
    var start = new Date(element.getAttribute("datetime"));
    var end = element.dataset.end ? new Date(element.dataset.end) : null;
    if (!zone || isNaN(start.getTime()) || zone === here) {
      return;
    }
    var differs = wallClock(start, zone) !== wallClock(start, here) ||
      (end !== null && wallClock(end, zone) !== wallClock(end, here));
    if (!differs) {
      return;
    }
    var local = document.createElement("span");
    local.className = "local-time";
    local.textContent = " · " + label.replace("{time}", localRange(start, end, zone));
    element.after(local);
  }

  try {
    document.querySelectorAll("time[data-zone]").forEach(addLocalClock);
  } catch (error) {
    // An unknown zone name in old browsers: the event's clock alone still reads correctly.
  }
  document.querySelectorAll('input[name="viewer_timezone"]').forEach(function (input) {
    input.value = here;
  });
})();
