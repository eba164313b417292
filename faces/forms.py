from django.utils.translation import gettext_lazy as _

from photos.forms import EventsSearchForm, SelfieUploadForm


class OrganiserSearchForm(EventsSearchForm, SelfieUploadForm):
    """ "Find a person": a photo of them, across the organiser's events."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selfie"].label = _("Photo of the person")
