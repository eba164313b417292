from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """Hits counted for one rate-limit key in its current fixed window (core/ratelimit.py).

    Rows are only ever changed by one atomic upsert per hit; an expired row is restarted
    by the next hit and deleted by the hourly cleanup, never culled to make room.
    """

    key = models.TextField(primary_key=True)
    count = models.IntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count} until {self.expires_at:%H:%M:%S}"


class SearchRecord(models.Model):
    """Who searched for whom across events, and how much they found: an audit trail.

    Written for every organiser or staff search ("Find a person" with a photo, smart
    search), never for attendees (their searches are anonymous by design). The photo
    searched with is not kept, only the scope and the number of results.
    """

    class Kind(models.TextChoices):
        FACE = "face", "Find a person (photo)"
        SMART = "smart", "Smart search"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Kept if the account is deleted.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    all_events = models.BooleanField(help_text="Searched every event on the site.")
    event_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    result_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("search record")
        verbose_name_plural = _("search records")
        ordering = ["-created_at"]

    def __str__(self):
        scope = "all events" if self.all_events else f"{len(self.event_ids)} event(s)"
        return f"{self.username}: {self.get_kind_display()} in {scope}, {self.result_count} found"


class RevokedLink(models.Model):
    """A secret link its organiser stopped, by keyed hash only (core/links.py)."""

    digest = models.CharField(max_length=64, primary_key=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stopped link")
        verbose_name_plural = _("stopped links")

    def __str__(self):
        return f"{self.digest[:12]}… ({self.revoked_at:%Y-%m-%d})"
