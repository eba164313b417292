"""The faces app's models, one module per concern (faces, vectors, people)."""

from faces.models.faces import Face, FaceQuerySet, HiddenArea
from faces.models.people import (
    EventGrouping,
    FaceDecision,
    FacePerson,
    PeopleAction,
    PeopleApart,
    Person,
    faces_changed,
)
from faces.models.vectors import (
    VECTOR_MODELS,
    EventEmbedder,
    FaceVector,
    FaceVector128,
    FaceVector512,
    FaceVectorQuerySet,
    vector_model,
    vector_row,
)

__all__ = [
    "VECTOR_MODELS",
    "EventEmbedder",
    "EventGrouping",
    "FaceDecision",
    "Face",
    "FacePerson",
    "FaceQuerySet",
    "FaceVector",
    "FaceVector128",
    "FaceVector512",
    "FaceVectorQuerySet",
    "HiddenArea",
    "PeopleAction",
    "PeopleApart",
    "Person",
    "faces_changed",
    "vector_model",
    "vector_row",
]
