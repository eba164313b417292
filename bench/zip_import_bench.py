#!/usr/bin/env python
"""A photographer's whole day as one zip: upload it through the real server, then
unpack it as the workers do.

    .venv/bin/python bench/zip_import_bench.py [--gb 5] [--keep-zip]

1. Writes a zip of distinct 4000x3000 JPEGs (about 3.5 MB each, event-like, from the
   labelled set in ../shared) to var/bench-zip/, up to --gb gigabytes.
2. Starts gunicorn (1 process, 4 threads) and uploads the zip in one streamed request
   to /albums/<id>/upload/, sampling the web process's memory (RSS of gunicorn and
   its children) every 0.2 s: the request only checks and stores the archive.
3. Unpacks it in this process exactly as a worker task does (photos.imports.unpack,
   in one go), timing it; face processing is not run (the photos stay waiting).
4. Uploads it again, resumably (photos.chunked, pieces of PHOTOS_UPLOAD_CHUNK_BYTES as
   the album page sends them), cut at half way as a dropped connection would, then
   resumed from what the server says it has: the bytes sent in all, against the
   file's size, and the web process's memory meanwhile.
Everything goes into a throw-away event that is deleted at the end; the zip is
deleted unless --keep-zip. Writes bench/results/zip-import.json.
"""

import argparse
import io
import json
import os
import sys
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("PHOTOS_MAX_ZIP_BYTES", str(8 * 1024**3))

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.db import connection  # noqa: E402

from bench.composed import compose_photos  # noqa: E402
from bench.upload_bench import MemorySampler, Session, bench_album, rss_mb, start_server  # noqa: E402
from photos import imports, services  # noqa: E402
from photos.models import Album, ZipImport  # noqa: E402
from photos.services import delete_event  # noqa: E402


def write_zip(dataset: Path, path: Path, gigabytes: float) -> tuple[int, int]:
    """Distinct big JPEGs (stored, not deflated: photos do not compress) up to the size."""
    bases = [photo.image.resize((4000, 3000)) for photo in compose_photos(dataset, 8)]
    target, count = gigabytes * 1024**3, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        while path.stat().st_size < target:
            image = bases[count % len(bases)].copy()
            image.putpixel((count % 4000, count // 4000 % 3000), (count % 256, 7, 9))
            data = io.BytesIO()
            image.save(data, "JPEG", quality=97)
            archive.writestr(f"day/{count:05d}.jpg", data.getvalue())
            count += 1
            if count % 200 == 0:
                print(f"  {count} photos, {path.stat().st_size / 1024**3:.2f} GB", flush=True)
    return count, path.stat().st_size


class MultipartFile(io.RawIOBase):
    """The multipart body of one file upload, read from disk as it is sent."""

    def __init__(self, path: Path, boundary: str) -> None:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{path.name}"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        self.parts = [
            io.BytesIO(head),
            path.open("rb"),
            io.BytesIO(f"\r\n--{boundary}--\r\n".encode()),
        ]
        self.length = len(head) + path.stat().st_size + len(self.parts[2].getvalue())

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self.parts:
            chunk = self.parts[0].read(size if size and size > 0 else 1024 * 1024)
            if chunk:
                return chunk
            self.parts.pop(0)
        return b""


def upload_zip(session: Session, album_id: int, path: Path) -> dict:
    boundary = uuid.uuid4().hex
    body = MultipartFile(path, boundary)
    request = urllib.request.Request(
        f"{session.base}/albums/{album_id}/upload/",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(body.length),
            "X-CSRFToken": session.csrf(),
            "Referer": session.base,
        },
    )
    with session.opener.open(request, timeout=3600) as response:
        return json.loads(response.read())


def upload_in_pieces(session: Session, album_id: int, path: Path, cut_at: float) -> dict:
    """The album page's resumable upload, stopped at ``cut_at`` of the file and resumed."""
    from django.conf import settings

    size, piece_bytes = path.stat().st_size, settings.PHOTOS_UPLOAD_CHUNK_BYTES
    form = f"name={path.name}&size={size}".encode()
    start = urllib.request.Request(
        f"{session.base}/albums/{album_id}/uploads/",
        data=form,
        headers={"X-CSRFToken": session.csrf(), "Referer": session.base},
    )
    token = json.loads(session.opener.open(start).read())["token"]
    url = f"{session.base}/uploads/{token}/"
    sent, answer = 0, {}

    def send_from(offset: int, stop_at: int) -> int:
        nonlocal sent, answer
        with path.open("rb") as fp:
            fp.seek(offset)
            while offset < stop_at:
                data = fp.read(min(piece_bytes, size - offset))
                request = urllib.request.Request(
                    url,
                    data=data,
                    headers={
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/octet-stream",
                        "X-CSRFToken": session.csrf(),
                        "Referer": session.base,
                    },
                )
                answer = json.loads(session.opener.open(request, timeout=600).read())
                sent += len(data)
                offset = answer["received"]
        return offset

    send_from(0, int(size * cut_at))  # ...and the connection drops here
    status = json.loads(session.opener.open(url).read())
    send_from(status["received"], size)
    return {
        "size": size,
        "cut_at_bytes": status["received"],
        "bytes_sent": sent,
        "resent_bytes": sent - size,
        "results": answer.get("results"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=8932)
    parser.add_argument("--keep-zip", action="store_true")
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    args = parser.parse_args()
    path = ROOT / "var" / "bench-zip" / f"day-{args.gb:g}gb.zip"
    if path.exists():
        count = len(zipfile.ZipFile(path).namelist())
        size = path.stat().st_size
    else:
        print(f"writing a {args.gb:g} GB zip...", flush=True)
        count, size = write_zip(Path(args.dataset), path, args.gb)
    album = bench_album("Zip benchmark", "Day")
    event, user = album.event, album.event.owner
    connection.close()
    server = start_server(args.port)
    process = psutil.Process(server.pid)
    try:
        session = Session(f"http://127.0.0.1:{args.port}")
        session.login(user.username, "bench-password")
        baseline = rss_mb(process)
        started = time.perf_counter()
        with MemorySampler(process) as upload_memory:
            answer = upload_zip(session, album.pk, path)
        upload_seconds = time.perf_counter() - started
        # Again, resumably, cut at half way, into another album (not unpacked).
        second = Album.objects.create(event=event, title="Again")
        connection.close()
        started = time.perf_counter()
        with MemorySampler(process) as pieces_memory:
            resumed = upload_in_pieces(session, second.pk, path, 0.5)
        pieces_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()

    print(f"upload answered {answer} in {upload_seconds:.1f} s", flush=True)
    print(f"resumable upload: {resumed} in {pieces_seconds:.1f} s", flush=True)
    job = ZipImport.objects.get(album=album)
    started = time.perf_counter()
    imports.unpack(import_id=job.pk, add_entry=services.add_archive_entry, budget_seconds=10**9)
    unpack_seconds = time.perf_counter() - started
    job.refresh_from_db()
    row = {
        "zip_bytes": size,
        "zip_photos": count,
        "upload_seconds": round(upload_seconds, 1),
        "web_rss_mb_baseline": round(baseline),
        **upload_memory.summary(),
        "resumable_upload_seconds": round(pieces_seconds, 1),
        "resumable_cut_at_bytes": resumed["cut_at_bytes"],
        "resumable_bytes_sent": resumed["bytes_sent"],
        "resumable_resent_bytes": resumed["resent_bytes"],
        "resumable_answer": (resumed["results"] or [{}])[0].get("status"),
        **pieces_memory.summary("web_rss_mb_resumable"),
        "unpack_seconds": round(unpack_seconds, 1),
        "unpack_photos_per_second": round(job.added / unpack_seconds, 1),
        "status": job.status,
        "added": job.added,
        "not_added": len(job.problems),
    }
    print(json.dumps(row, indent=2))
    delete_event(event=event)
    if not args.keep_zip:
        path.unlink()
    out = ROOT / "bench" / "results" / "zip-import.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
