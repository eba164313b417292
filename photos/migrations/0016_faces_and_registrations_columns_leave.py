"""photos knows nothing of faces or registrations: their columns leave its tables.
faces 0013 and registrations 0003 copied every value into their own tables first (they
run before this one); a photo's face count is the number of its faces (faces_face)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("photos", "0015_processing_state_is_photos")]

    operations = [
        migrations.RemoveField("event", "faces_version"),
        migrations.RemoveField("event", "faces_grouped_version"),
        migrations.RemoveField("event", "registration_retention_days"),
        migrations.RemoveField("photo", "face_count"),
    ]
