"""The one way the photos app asks for more work on its photos.

``processing_requested`` is sent (``sender=Photo``, ``photo_ids=[...]``) once the
transaction that marked the photos *waiting* commits (``photos.services.
request_processing``). The faces app connects to it in faces/apps.py; without it the
photos are stored and stay waiting (docs/architecture.md).
"""

from django.dispatch import Signal

processing_requested = Signal()
