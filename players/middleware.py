from django.contrib.auth import login

from players.guest_minting import TooManyGuests, guest_mint


class GuestUserMiddleware:
    """A visitor without a session becomes a guest user on the first page view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After URL resolution, so requests for paths that are no page (robots.txt, favicon.ico,
        # probes of random URLs) never mint a user.
        if request.user.is_authenticated or not self._is_page_view(request):
            return None
        try:
            user = guest_mint(request=request)
        except TooManyGuests as refusal:
            return refusal.response()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return None

    @staticmethod
    def _is_page_view(request) -> bool:
        # Scripts, assets, health checks, metrics and the admin do not mint users; nor do HEAD and writes.
        return request.method == "GET" and not request.path.startswith(("/api/", "/static/", "/healthz", "/metrics", "/admin/"))
