"""Login with a limit on failed attempts, for organisers and for the admin."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache

from faces import ratelimit


def _keys(request) -> list[str]:
    username = request.POST.get("username", "").strip().lower()[:150]
    return [f"client:{ratelimit.client_key(request)}", f"user:{username}"]


def _blocked(request) -> bool:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    limit = settings.LOGIN_FAILURES_ALLOWED
    return any(
        (cache.get(ratelimit.bucket_key("login-failure", key, window)) or 0) >= limit
        for key in _keys(request)
    )


def _count_failure(request) -> None:
    for key in _keys(request):
        ratelimit.allow(
            "login-failure",
            key,
            limit=settings.LOGIN_FAILURES_ALLOWED,
            window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
        )


TOO_MANY = "Too many failed logins. Wait a quarter of an hour and try again."


class RateLimitedLoginView(auth_views.LoginView):
    """After too many failures from one address or for one username, refuse for a while."""

    def post(self, request, *args, **kwargs):
        if _blocked(request):
            # Not even checked: a correct password must not be confirmed either.
            form = self.get_form_class()(request=request)
            context = self.get_context_data(form=form, error_message=TOO_MANY)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _count_failure(self.request)
        return super().form_invalid(form)
