#!/usr/bin/python3
"""Reads email messages with Python's email package and their calendar part
with icalendar, and prints what a mail client would see, one JSON object per
file named on the command line. Used by the Go tests as an independent
parser: nothing here is roomsd's code."""
import email
import email.policy
import json
import sys

import icalendar


def read(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    out = {
        "defects": [str(d) for d in msg.defects],
        "message_id": msg.get("Message-ID", ""),
        "date": msg.get("Date", ""),
        "mime_version": msg.get("MIME-Version", ""),
        "subject": str(msg.get("Subject", "")),
        "from": str(msg.get("From", "")),
        "to": str(msg.get("To", "")),
        "content_type": msg.get_content_type(),
        "parts": [],
    }
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        out["parts"].append(ctype)
        if ctype == "text/plain":
            out["text"] = part.get_content()
        if ctype != "text/calendar":
            continue
        out["part_method"] = part.get_param("method", "")
        cal = icalendar.Calendar.from_ical(part.get_content())
        out["method"] = str(cal.get("METHOD", ""))
        events = [c for c in cal.walk() if c.name == "VEVENT"]
        out["events"] = len(events)
        ev = events[0]
        org = ev.get("ORGANIZER")
        att = ev.get("ATTENDEE")
        out.update(
            uid=str(ev.get("UID", "")),
            sequence=int(ev.get("SEQUENCE", -1)),
            status=str(ev.get("STATUS", "")),
            summary=str(ev.get("SUMMARY", "")),
            organizer=str(org) if org is not None else "",
            attendee=str(att) if att is not None else "",
            dtstart=ev.decoded("DTSTART").isoformat(),
        )
    return out


for p in sys.argv[1:]:
    print(json.dumps(read(p)))
