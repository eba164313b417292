import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from core import audit
from core.models import SearchRecord
from ml.clip import ClipUnavailable
from photos.models import Event, Photo
from smart import services as smart
from smart.forms import SmartSearchForm
from smart.services import get_clip

logger = logging.getLogger(__name__)


@login_required
def search(request):
    """Organisers find photos by a description, or photos like one they picked."""
    if not settings.PHOTOS_CLIP_MODEL:
        # Off is not shown anywhere (smart.context_processors); an old bookmark gets a
        # plain "not found". How to turn it on is in the docs, for the operator.
        raise Http404("Smart search is off.")
    events = Event.objects.visible_to(request.user).order_by("-starts_on", "name")
    form = SmartSearchForm(request.GET or None, events=events)
    context = {"form": form, "enabled": True}
    try:
        get_clip()
    except ClipUnavailable as error:
        # Configured but not loadable (a moved file, a wrong name): the organiser is
        # told it is unavailable in their language; the cause goes to the log.
        logger.error("Smart search unavailable: %s", error)
        context["enabled"] = False
        return render(request, "smart/search.html", context, status=503)
    event_ids = form.event_ids(request.user)
    model_name = get_clip().name
    context["embedded"], context["processed"] = smart.embedding_counts(
        event_ids=event_ids, model_name=model_name
    )
    if not form.is_valid():
        return render(request, "smart/search.html", context, status=400 if form.is_bound else 200)
    filters = form.filters(event_ids)
    like_id = form.cleaned_data["like"]
    try:
        if like_id:
            example = get_object_or_404(Photo.objects.visible_to(request.user), pk=like_id)
            context["example"] = example
            matches = smart.more_like_this(example, filters=filters)
        else:
            matches = smart.search_by_text(form.cleaned_data["q"], filters=filters)
    except smart.NotEmbedded as error:
        form.add_error(None, str(error))
        return render(request, "smart/search.html", context, status=409)
    audit.record_search(
        user=request.user,
        kind=SearchRecord.Kind.SMART,
        event_ids=event_ids,
        result_count=len(matches),
    )
    photos = Photo.objects.select_related("event").in_bulk([m.photo_id for m in matches])
    context["results"] = [(photos[m.photo_id], m.similarity) for m in matches]
    context["searched"] = True
    return render(request, "smart/search.html", context)
