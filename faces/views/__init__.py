"""The faces app's pages: attendees (attendee.py) and organisers (organiser.py)."""
