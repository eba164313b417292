"""Security headers Django 5.2 does not set by itself."""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """A clear 503 instead of a crash page while the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable: %s", exception)
        message = gettext(
            "The service is briefly unavailable. Nothing was saved; try again in a minute."
        )
        if request.headers.get("Accept") == "application/json" or request.path.endswith("/upload/"):
            response = JsonResponse({"error": message}, status=503)
        else:
            title = gettext("Unavailable")
            response = HttpResponse(
                f"<!doctype html><title>{title}</title><h1>{message}</h1>", status=503
            )
        response["Retry-After"] = "60"
        return response
