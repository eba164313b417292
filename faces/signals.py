"""Signals the faces app sends to apps that build on it (and that it never imports).

``faces_grouped`` (``sender=Person``, ``event_id``, ``face_ids``): the event's people
were brought up to date (faces.people_upkeep.group_event_faces) and these faces joined a
person for the first time: the registrations app looks for attendees in them.
"""

from django.dispatch import Signal

faces_grouped = Signal()
