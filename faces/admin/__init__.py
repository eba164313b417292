"""The admin of the faces app: faces and their review grid (faces.py), people
(people.py), and face columns, inline faces and actions added to the photos app's
pages (photos.py)."""

from faces.admin import faces, people, photos  # noqa: F401  (each module registers its admin)
