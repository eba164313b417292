"""Grouping an event's faces into people. Pure numpy, no ORM.

Constrained average linkage: candidate pairs closer than ``threshold`` are taken
closest first; two groups merge when

- the mean squared distance between all their members (computed from the groups'
  vector sums, since for unit vectors |a-b|² = 2 - 2a·b) stays under ``threshold``²;
- and it is at most ``relative`` times the spread inside each of them (their own mean
  squared distance, at least ``spread_floor``²): two look-alike people are each tight
  clusters a little apart, while the photos of one person are about as far from each
  other as from the rest of that person (docs/match-quality.md);
- and they share no photo: one photo never shows the same person twice.
"""

import numpy as np

CHUNK = 2048


def group_faces(
    vectors: np.ndarray,
    photo_ids: np.ndarray,
    *,
    threshold: float,
    relative: float | None = None,
    spread_floor: float = 0.28,
) -> np.ndarray:
    """A group label (the index of one member) for each row of unit ``vectors``."""
    count = len(vectors)
    vectors = np.asarray(vectors, dtype=np.float32)
    parent = np.arange(count)
    sums = {i: vectors[i].astype(np.float64) for i in range(count)}
    sizes = {i: 1 for i in range(count)}
    photos = {i: {int(photo_ids[i])} for i in range(count)}
    floor = spread_floor * spread_floor

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def spread(group: int) -> float:
        """Mean squared distance between the group's members (the floor for one face)."""
        n = sizes[group]
        if n < 2:
            return floor
        inner = (sums[group].dot(sums[group]) - n) / (n * (n - 1))
        return max(floor, 2 - 2 * inner)

    limit = threshold * threshold
    for _, i, j in _close_pairs(vectors, threshold):
        a, b = root(i), root(j)
        if a == b or photos[a] & photos[b]:
            continue
        between = 2 - 2 * sums[a].dot(sums[b]) / (sizes[a] * sizes[b])
        if between >= limit:
            continue
        if relative is not None and between > relative * max(spread(a), spread(b)):
            continue
        if sizes[a] < sizes[b]:
            a, b = b, a
        parent[b] = a
        sums[a] += sums.pop(b)
        sizes[a] += sizes.pop(b)
        photos[a] |= photos.pop(b)
    return np.array([root(i) for i in range(count)])


def _close_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[float, int, int]]:
    """(squared distance, i, j) for i < j closer than ``threshold``, closest first.

    Computed in blocks of rows (bounded memory), kept as arrays and sorted once: a
    10,000-face event has a quarter of a million such pairs.
    """
    limit = threshold * threshold
    found_i, found_j, found_d = [], [], []
    for start in range(0, len(vectors), CHUNK):
        block = vectors[start : start + CHUNK]
        # Only the columns from this block on: the pairs before were seen already.
        squared = 2.0 - 2.0 * (block @ vectors[start:].T)
        rows, cols = np.nonzero(squared < limit)
        keep = cols > rows
        rows, cols = rows[keep], cols[keep]
        found_i.append(rows + start)
        found_j.append(cols + start)
        found_d.append(np.maximum(squared[rows, cols], 0.0))
    if not found_d:
        return []
    order = np.argsort(np.concatenate(found_d), kind="stable")
    d = np.concatenate(found_d)[order].tolist()
    i = np.concatenate(found_i)[order].tolist()
    j = np.concatenate(found_j)[order].tolist()
    return list(zip(d, i, j, strict=True))


def centres(vectors: np.ndarray, labels: np.ndarray) -> dict[int, tuple[np.ndarray, int]]:
    """Each group's centre (the unit mean of its vectors) and size."""
    out = {}
    for label in np.unique(labels):
        members = vectors[labels == label]
        mean = members.mean(axis=0)
        out[int(label)] = (mean / (np.linalg.norm(mean) or 1.0), len(members))
    return out
