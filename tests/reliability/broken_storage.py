from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    """A storage whose writes fail, like a full disk or an unreachable bucket."""

    def _save(self, name, content):
        raise OSError(28, "No space left on device")
