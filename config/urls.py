from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from config.login import RateLimitedLoginView

urlpatterns = [
    # The admin's login goes through the same failure limit as the organisers' one.
    path(
        "admin/login/",
        RateLimitedLoginView.as_view(
            template_name="admin/login.html",
            authentication_form=AdminAuthenticationForm,
            extra_context={
                "site_header": admin.site.site_header,
                "site_title": admin.site.site_title,
            },
        ),
    ),
    path("admin/", admin.site.urls),
    # Browsers and feed readers ask for /favicon.ico whatever the pages say: the icon,
    # not a 404 in every log.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("smart.urls")),
    path("", include("photos.urls")),
    path("", include("faces.urls")),
    path("", include("attendees.urls")),
    path("", include("registrations.urls")),
    path("", include("live.urls")),
]
