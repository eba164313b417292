"""The database cache table (rate limits, cached counts) comes with `migrate`.

Django creates it with `createcachetable`, which deployments forget; running it from a
migration makes `migrate` enough. It is idempotent.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("photos", "0002_event_faces_grouped_version_event_faces_version")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
