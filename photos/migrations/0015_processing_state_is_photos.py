"""A photo's processing state (waiting, processing, done, failed, and the error) is
photos' own: the pipeline it enters when stored (renditions, and whatever other apps do
through photos.signals.processing_requested). The columns keep their values; only
their names stop naming faces."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("photos", "0014_event_language")]

    operations = [
        migrations.RenameField("photo", "faces_status", "processing_status"),
        migrations.RenameField("photo", "faces_error", "processing_error"),
    ]
