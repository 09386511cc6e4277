// Read one iCalendar feed on stdin and print, as JSON on stdout, what ical.js reads from it.
//
// Output shape:
//   {
//     "calendar": {"<property name>": {"value": "<text>", "type": "<value type>"}, ...},
//     "timezones": ["<TZID of each VTIMEZONE>", ...],
//     "events": [{
//       "uid", "summary", "status", "transparency", "sequence" (a number),
//       "start" and "end": {"utc": "YYYY-MM-DDTHH:MM:SSZ", "local": "YYYY-MM-DDTHH:MM:SS",
//                           "tzid": "<zone the time was resolved in>", "offset": <seconds>}
//     }, ...]
//   }
//
// Every VTIMEZONE of the feed is registered with ICAL.TimezoneService first, as calendar apps
// do, so DTSTART;TZID=... times are converted to UTC with the feed's own zone definitions. A
// TZID the feed does not define comes out as "floating" (ical.js's fallback): the test reads
// that as a failure. Exits 1 with a message on stderr when the input does not parse.

import { readFileSync } from "node:fs";

import ICAL from "ical.js";

function time(value) {
  const utc = value.convertToZone(ICAL.Timezone.utcTimezone);
  return {
    utc: `${utc.toString().replace(/Z$/, "")}Z`,
    local: value.toString(),
    tzid: value.zone ? value.zone.tzid : null,
    offset: value.utcOffset(),
  };
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
}

function main() {
  const source = readFileSync(0, "utf8");
  const calendar = new ICAL.Component(ICAL.parse(source));
  if (calendar.name !== "vcalendar") {
    throw new Error(`expected a VCALENDAR, got ${calendar.name}`);
  }

  const timezones = calendar.getAllSubcomponents("vtimezone");
  for (const vtimezone of timezones) {
    ICAL.TimezoneService.register(vtimezone);
  }

  const properties = {};
  for (const property of calendar.getAllProperties()) {
    properties[property.name] = {
      value: String(property.getFirstValue()),
      type: property.type,
    };
  }

  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      status: text(vevent, "status"),
      transparency: text(vevent, "transp"),
      sequence: event.sequence,
      start: time(event.startDate),
      end: time(event.endDate),
    };
  });

  const tzids = timezones.map((vtimezone) => vtimezone.getFirstPropertyValue("tzid"));
  process.stdout.write(`${JSON.stringify({ calendar: properties, timezones: tzids, events })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`ical.js could not read the feed: ${error.stack || error}\n`);
  process.exit(1);
}
