"""Face vectors move to one table per size, side by side per embedder (FaceVector128,
FaceVector512), and each event records the embedder answering its searches."""

import django.db.models.deletion
import pgvector.django.indexes
import pgvector.django.vector
from django.db import migrations, models


# Visible faces only: hidden ones already had no vector (0006).
COPY_VECTORS = """
INSERT INTO faces_facevector128 (face_id, photo_id, event_id, embedder, is_matchable, embedding)
SELECT id, photo_id, event_id, embedder, is_matchable, embedding
FROM faces_face WHERE embedding IS NOT NULL AND vector_dims(embedding) = 128
"""
# Each event keeps answering from the embedder most of its faces have.
RECORD_EVENT_EMBEDDERS = """
INSERT INTO faces_eventembedder (event_id, embedder, since, switching_to)
SELECT DISTINCT ON (event_id) event_id, embedder, now(), ''
FROM faces_face GROUP BY event_id, embedder ORDER BY event_id, count(*) DESC
"""


class Migration(migrations.Migration):

    dependencies = [
        ('faces', '0010_face_landmarks'),
        ('photos', '0008_photoembedding_moves_to_smart'),
    ]

    operations = [
        migrations.CreateModel(
            name='EventEmbedder',
            fields=[
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='face_embedder', serialize=False, to='photos.event')),
                ('embedder', models.CharField(max_length=80)),
                ('since', models.DateTimeField(auto_now=True)),
                ('switching_to', models.CharField(blank=True, default='', max_length=80)),
            ],
        ),
        migrations.CreateModel(
            name='FaceVector128',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('embedder', models.CharField(max_length=80)),
                ('is_matchable', models.BooleanField()),
                ('embedding', pgvector.django.vector.VectorField(dimensions=128)),
            ],
        ),
        migrations.CreateModel(
            name='FaceVector512',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('embedder', models.CharField(max_length=80)),
                ('is_matchable', models.BooleanField()),
                ('embedding', pgvector.django.vector.VectorField(dimensions=512)),
            ],
        ),
        migrations.AddField(
            model_name='facevector128',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='photos.event'),
        ),
        migrations.AddField(
            model_name='facevector128',
            name='face',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='vectors128', to='faces.face'),
        ),
        migrations.AddField(
            model_name='facevector128',
            name='photo',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='photos.photo'),
        ),
        migrations.AddField(
            model_name='facevector512',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='photos.event'),
        ),
        migrations.AddField(
            model_name='facevector512',
            name='face',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='vectors512', to='faces.face'),
        ),
        migrations.AddField(
            model_name='facevector512',
            name='photo',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='photos.photo'),
        ),
        # The vectors move before the old column goes, and the new indexes are built
        # after the rows are in (faster than growing an HNSW graph row by row).
        migrations.RunSQL(COPY_VECTORS, migrations.RunSQL.noop),
        migrations.RunSQL(RECORD_EVENT_EMBEDDERS, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name='face',
            name='face_event_searchable_idx',
        ),
        migrations.RemoveIndex(
            model_name='face',
            name='face_embedding_hnsw',
        ),
        migrations.RemoveIndex(
            model_name='face',
            name='face_event_unmatchable_idx',
        ),
        migrations.RemoveField(
            model_name='face',
            name='embedder',
        ),
        migrations.RemoveField(
            model_name='face',
            name='embedding',
        ),
        migrations.RunSQL(
            "SET LOCAL maintenance_work_mem = '2GB'; "
            "SET LOCAL max_parallel_maintenance_workers = 2;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='facevector128',
            index=pgvector.django.indexes.HnswIndex(ef_construction=100, fields=['embedding'], m=24, name='facevector128_hnsw', opclasses=['vector_l2_ops']),
        ),
        migrations.AddIndex(
            model_name='facevector128',
            index=models.Index(condition=models.Q(('is_matchable', True)), fields=['event', 'embedder'], name='facevector128_searchable'),
        ),
        migrations.AddIndex(
            model_name='facevector128',
            index=models.Index(condition=models.Q(('is_matchable', False)), fields=['event', 'embedder'], name='facevector128_unmatchable'),
        ),
        migrations.AddConstraint(
            model_name='facevector128',
            constraint=models.UniqueConstraint(fields=('face', 'embedder'), name='facevector128_unique'),
        ),
        migrations.AddIndex(
            model_name='facevector512',
            index=pgvector.django.indexes.HnswIndex(ef_construction=100, fields=['embedding'], m=24, name='facevector512_hnsw', opclasses=['vector_l2_ops']),
        ),
        migrations.AddIndex(
            model_name='facevector512',
            index=models.Index(condition=models.Q(('is_matchable', True)), fields=['event', 'embedder'], name='facevector512_searchable'),
        ),
        migrations.AddIndex(
            model_name='facevector512',
            index=models.Index(condition=models.Q(('is_matchable', False)), fields=['event', 'embedder'], name='facevector512_unmatchable'),
        ),
        migrations.AddConstraint(
            model_name='facevector512',
            constraint=models.UniqueConstraint(fields=('face', 'embedder'), name='facevector512_unique'),
        ),
    ]
