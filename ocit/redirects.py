"""Where a view may send the user back to: an address on this site only, whatever a form or link says."""

from django.utils.http import url_has_allowed_host_and_scheme


def our_url(request, target, default):
    """`target` if it is an address of ours (this host, and HTTPS when the request came by it), else `default`."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
