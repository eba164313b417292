"""Receiving a selfie: in memory only, and never more than the selfie limit.

Django's default handlers write any upload above ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
temporary file, and read a whole request before a form can refuse it. A selfie must
never reach the disk (the page promises so), and an anonymous visitor must not make
the server read or store more than a selfie's worth of bytes. So the selfie views:

1. refuse a request whose declared size is past the limit before reading its body
   (:func:`declared_too_large`);
2. read the body through :class:`SelfieUploadHandler`, which keeps the one selfie
   field in memory and stops reading as soon as the files together pass the limit
   (a request that lies about its size is cut off there).

Both run before CSRF reads the body, which is why the views set the handler in a
``csrf_exempt`` wrapper and check CSRF themselves (Django's documented pattern).
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from photos.units import megabytes

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
SELFIE_FIELD = "selfie"


def declared_too_large(request) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return declared > settings.SELFIE_MAX_BYTES + FORM_OVERHEAD_BYTES


class SelfieUploadHandler(FileUploadHandler):
    """Keeps the ``selfie`` file in memory; stops the upload past ``SELFIE_MAX_BYTES``.

    Other file fields are read and thrown away (they still count toward the limit).
    ``too_large`` tells the view why a selfie is missing.
    """

    chunk_size = 64 * 1024

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.SELFIE_MAX_BYTES
        self.received = 0
        self.too_large = False
        self.buffer: io.BytesIO | None = None

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.buffer = io.BytesIO() if field_name == SELFIE_FIELD else None

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


def use_selfie_upload_handler(request) -> SelfieUploadHandler:
    """Make ``request`` read its body through a :class:`SelfieUploadHandler`."""
    handler = SelfieUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def too_large_message() -> str:
    return _(
        "The picture is larger than %(size)s. Take a new selfie, or choose a smaller picture."
    ) % {"size": megabytes(settings.SELFIE_MAX_BYTES)}
