from django import forms
from django.utils.translation import gettext_lazy as _

from photos.forms import SelfieUploadForm


class RegisterForm(SelfieUploadForm):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address to send your photos to."),
            "invalid": _("Enter a valid email address, like name@example.com."),
        },
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please tick the box to agree before registering.")},
    )
    share_email = forms.BooleanField(
        required=False,
        label=_(
            "The organiser may see my email address (otherwise they only see how many "
            "people registered)."
        ),
    )


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address you registered with."),
            "invalid": _("Enter a valid email address, like name@example.com."),
        },
    )


class DeleteForm(forms.Form):
    hide_me = forms.BooleanField(
        required=False,
        label=_(
            "Also ask the organiser to hide me in this event's photos: once they approve, "
            "nobody finds me by searching, and my face is hidden in the photos."
        ),
    )
