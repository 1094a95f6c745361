"""`Content-Security-Policy` on every response (issue 11 item 9).

The platform's pages load scripts and styles only from its own static files: no inline script, inline event
handler, style block or style attribute anywhere (tests/test_csp.py reads every template, module, script and
page), so an injected script element or `onerror=` handler that slipped past escaping would not run. Django 5.2
has no CSP support of its own (it comes with 6.0), hence this middleware. The interactive API documentation is
served by drf-spectacular's split view from drf-spectacular-sidecar's static files under the same policy
(docs/decisions.md).
"""

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # Swagger UI's icons and the admin's are data: URLs
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",  # the header form of X-Frame-Options: DENY
}
HEADER = "Content-Security-Policy"
VALUE = "; ".join(f"{directive} {sources}" for directive, sources in POLICY.items())


class ContentSecurityPolicyMiddleware:
    """Adds the platform's policy to every response that passes through Django (pages, errors, redirects,
    downloads, the API); a response that already carries a policy keeps its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(HEADER, VALUE)
        return response
