"""`Cache-Control: no-store` on every page, download and API response (issue 11 item 9).

Almost every page behind the login can show personal data (a record, a batch's rows in error, a work list, a
download), so the rule is the fail-safe one: nothing Django answers may be kept by a browser, a shared computer's
back button or a proxy. Static files (WhiteNoise answers them before this middleware) stay cacheable.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Adds `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private` (and `Expires`) to every
    response that passes through Django's views, including errors, redirects and streamed downloads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
