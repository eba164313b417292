"""Login with a limit on failed attempts, for organisers and for the admin."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _

from core import ratelimit

SCOPE = "login-failure"


def _buckets(request) -> list[tuple[str, int]]:
    """(key, limit): failures count per username *from one network*, as django-axes
    does (a username alone would let anyone who knows an organiser's name lock them
    out from anywhere), and per network whatever the username (an IPv4 address; an
    IPv6 /64 and its /48), with room for an office of people who mistype."""
    username = request.POST.get("username", "").strip().lower()[:150]
    networks = ratelimit.client_networks(request)
    return [
        (f"user:{username}:{networks[0]}", settings.LOGIN_FAILURES_ALLOWED),
        *((f"client:{network}", settings.LOGIN_FAILURES_PER_NETWORK) for network in networks),
    ]


def _reserve_attempt(request) -> bool:
    """Count this attempt as a failure before the password is checked; False if over.

    Counting first, rather than checking the count and counting after a failure, keeps
    the limit exact under concurrency: a burst of parallel guesses cannot all pass the
    check before any of them is counted. A successful login takes its hit back.
    """
    for key, limit in _buckets(request):
        allowed = ratelimit.hit(
            SCOPE, key, limit=limit, window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS
        )
        if not allowed:
            return False  # later keys are not counted: this attempt checks nothing
    return True


def _refund_attempt(request) -> None:
    for key, _limit in _buckets(request):
        ratelimit.refund(SCOPE, key)


TOO_MANY = _("Too many failed logins. Wait a quarter of an hour and try again.")


class RateLimitedLoginView(auth_views.LoginView):
    """After too many failures from one network, or for one username from one network,
    refuse for a while."""

    def post(self, request, *args, **kwargs):
        if not _reserve_attempt(request):
            # Not even checked: a correct password must not be confirmed either.
            form = self.get_form_class()(request=request)
            context = self.get_context_data(form=form, error_message=TOO_MANY)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        _refund_attempt(self.request)
        return super().form_valid(form)
