"""New vector rows, recording how their vector was made (faces.vector_refresh reads it)."""

from faces.analysis import stored_mirrored
from faces.models import Face, FaceVector, vector_row
from ml.base import Embedder


def stored_vector_row(face: Face, embedder: Embedder, vector) -> FaceVector:
    """An unsaved row of ``face``'s vector from ``embedder``, recording how the vector
    was made: the embedder's alignment, and mirrored by the rule in force (the rule
    faces.analysis.embed_faces followed)."""
    return vector_row(
        face,
        embedder.name,
        vector,
        mirrored=stored_mirrored(face, embedder),
        alignment=embedder.alignment,
    )
