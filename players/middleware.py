from django.contrib.auth import login

from players import services


class GuestUserMiddleware:
    """A visitor without a session becomes a guest user on the first page view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and self._is_page_view(request):
            user = services.guest_create()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return self.get_response(request)

    @staticmethod
    def _is_page_view(request) -> bool:
        # Scripts, assets, health checks and the admin do not mint users.
        return request.method == "GET" and not request.path.startswith(("/api/", "/static/", "/healthz", "/admin/"))
