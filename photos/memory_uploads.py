"""Receiving one picture in memory only, and never more than its limit: the selfie of an
attendee, of a registration, or of the organiser's "Find a person".

Django's default handlers write any upload above ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
temporary file, and read a whole request before a form can refuse it. A selfie must
never reach the disk (the pages promise so), and an anonymous visitor must not make
the server read or store more than a selfie's worth of bytes. So a view:

1. refuses a request whose declared size is past the limit before reading its body
   (:func:`declared_too_large`);
2. reads the body through :class:`MemoryUploadHandler`, which keeps the one picture
   field in memory and stops reading as soon as the files together pass the limit (a
   request that lies about its size is cut off there), and only then checks CSRF
   (:func:`read_with_csrf`): CSRF reads the body, so the handler must be in place
   first. The view itself is ``csrf_exempt`` (Django's documented pattern).
"""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from photos.units import megabytes

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


def declared_too_large(request, *, max_bytes: int) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return declared > max_bytes + FORM_OVERHEAD_BYTES


class MemoryUploadHandler(FileUploadHandler):
    """Keeps the ``field`` file in memory; stops the upload past ``max_bytes``.

    Other file fields are read and thrown away (they still count toward the limit).
    ``too_large`` tells the view why the file is missing.
    """

    chunk_size = 64 * 1024

    def __init__(self, request=None, *, field: str, max_bytes: int) -> None:
        super().__init__(request)
        self.field, self.limit = field, max_bytes
        self.received = 0
        self.too_large = False
        self.buffer: io.BytesIO | None = None

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.buffer = io.BytesIO() if field_name == self.field else None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            self.buffer = None
            # connection_reset: do not read the rest of the body either.
            raise StopUpload(connection_reset=True)
        if self.buffer is not None:
            self.buffer.write(raw_data)
        return None  # nothing is passed to other handlers: this is the only one

    def file_complete(self, file_size: int):
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        uploaded = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        self.buffer = None
        return uploaded


def use_memory_upload_handler(request, *, field: str, max_bytes: int) -> MemoryUploadHandler:
    """Make ``request`` read its body through a :class:`MemoryUploadHandler`."""
    handler = MemoryUploadHandler(request, field=field, max_bytes=max_bytes)
    request.upload_handlers = [handler]
    return handler


_csrf = CsrfViewMiddleware(lambda request: None)


def read_with_csrf(
    request, *, field: str, max_bytes: int
) -> tuple[HttpResponse | None, MemoryUploadHandler]:
    """Put the handler in place, then check CSRF (which reads the body through it).
    Returns (Django's CSRF failure response or None, the handler)."""
    handler = use_memory_upload_handler(request, field=field, max_bytes=max_bytes)
    failure = _csrf.process_view(request, None, (), {})
    return failure, handler


def too_large_message(max_bytes: int) -> str:
    return _(
        "The picture is larger than %(size)s. Take a new selfie, or choose a smaller picture."
    ) % {"size": megabytes(max_bytes)}
