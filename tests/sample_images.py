"""Real face photos for the tests, from packages the project may use in tests.

Nothing is committed: the photos come from the ``face_recognition`` sdist and the
``insightface`` wheel on PyPI (downloaded once into var/cache, which git ignores)
and from scikit-image's public-domain astronaut portrait.
"""

import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

CACHE = Path(__file__).resolve().parent.parent / "var" / "cache" / "test-images"

FACE_RECOGNITION_FILES = {
    "obama.jpg": "face_recognition-1.3.0/tests/test_images/obama.jpg",
    "obama2.jpg": "face_recognition-1.3.0/tests/test_images/obama2.jpg",
    "obama3.jpg": "face_recognition-1.3.0/tests/test_images/obama3.jpg",
    "biden.jpg": "face_recognition-1.3.0/tests/test_images/biden.jpg",
    "32bit.png": "face_recognition-1.3.0/tests/test_images/32bit.png",
}
INSIGHTFACE_FILES = {
    "group6.jpg": "insightface/data/images/t1.jpg",
    "tom_hanks.png": "insightface/data/images/Tom_Hanks_54745.png",
}


def sample_images() -> dict[str, Path]:
    """Name -> path of every sample photo, fetching them on first use."""
    wanted = {**FACE_RECOGNITION_FILES, **INSIGHTFACE_FILES, "astronaut.png": None}
    if not all((CACHE / name).exists() for name in wanted):
        _fetch()
    return {name: CACHE / name for name in wanted}


def _fetch() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    downloads = CACHE / "downloads"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(downloads)]
    subprocess.run([*pip, "--no-binary", ":all:", "face_recognition==1.3.0"], check=True)
    subprocess.run([*pip, "--only-binary", ":all:", "insightface==2.1"], check=True)
    with tarfile.open(downloads / "face_recognition-1.3.0.tar.gz") as archive:
        for name, member in FACE_RECOGNITION_FILES.items():
            (CACHE / name).write_bytes(archive.extractfile(member).read())
    with zipfile.ZipFile(downloads / "insightface-2.1-py3-none-any.whl") as archive:
        for name, member in INSIGHTFACE_FILES.items():
            (CACHE / name).write_bytes(archive.read(member))
    from skimage import data

    Image.fromarray(data.astronaut()).save(CACHE / "astronaut.png")


def no_face_image(size=(640, 480), seed: int = 0) -> Image.Image:
    """Smooth coloured noise: an image with no face in it."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (size[1] // 32, size[0] // 32, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def another_picture_of(path: Path) -> bytes:
    """A JPEG standing in for another photo of the person in ``path`` (the samples hold
    one of Tom Hanks): mirrored, turned 8 degrees and softened, so that the original
    can be their selfie. A mirror image alone is no other photo: the selfie's search
    vector (averaged with its mirror) lies 0.10 from it, and the check for faces cut
    out of the event's photos refuses it; this one lies 0.18 away."""
    from PIL import ImageFilter, ImageOps

    with Image.open(path) as picture:
        other = ImageOps.mirror(picture.convert("RGB")).rotate(8, resample=Image.BICUBIC)
        other = other.filter(ImageFilter.GaussianBlur(1.2))
    data = io.BytesIO()
    other.save(data, "JPEG", quality=90)
    return data.getvalue()
