from django.contrib.auth import login

from players.guest_minting import TooManyGuests, guest_mint


class GuestUserMiddleware:
    """A visitor without a session becomes a guest user on the first page view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and self._is_page_view(request):
            try:
                user = guest_mint(request=request)
            except TooManyGuests as refusal:
                return refusal.response()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return self.get_response(request)

    @staticmethod
    def _is_page_view(request) -> bool:
        # Scripts, assets, health checks and the admin do not mint users.
        return request.method == "GET" and not request.path.startswith(("/api/", "/static/", "/healthz", "/admin/"))
