"""Whether smart search is set up, for every page that offers it (event and photo pages):
a search box that can only answer "not set up" is not shown. Only the setting is read,
so no page loads CLIP; a configured model that fails to load is explained on the
search page itself."""

from django.conf import settings


def smart_search(request) -> dict:
    return {"smart_search_on": bool(settings.PHOTOS_CLIP_MODEL)}
