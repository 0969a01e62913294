"""Views that only read: GET and HEAD, anything else 405 with an Allow header."""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


def read_only_view(view):
    # Exempt from CSRF: only GET and HEAD reach the view, and the CSRF check never guards those;
    # without the exemption it would answer a POST with 403 before require_safe's 405.
    return csrf_exempt(require_safe(view))
