from django import forms
from django.utils.translation import gettext_lazy as _

from photos.forms import EventsSearchForm


class SmartSearchForm(EventsSearchForm):
    """Words or an example photo, within some of the organiser's events."""

    q = forms.CharField(
        label=_("Describe the photo"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("people dancing on stage, group photo outside…"),
                "type": "search",
            }
        ),
    )
    like = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("q") and not cleaned.get("like"):
            raise forms.ValidationError(_("Describe the photo you are looking for."))
        return cleaned
