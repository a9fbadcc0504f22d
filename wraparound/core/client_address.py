"""The client's address for sign-in lockouts (django-axes), also behind proxies.

Behind a load balancer every connection comes from the balancer, so REMOTE_ADDR alone would lock
a username out for everyone. Each trusted proxy appends the address it received the request from
to X-Forwarded-For; with `AXES_PROXY_COUNT = N` trusted proxies the client is therefore the N-th
entry from the right. Entries further left were written by the client and can be forged, so they
are never used.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    proxies: int = settings.AXES_IPWARE_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # Not what the configured proxies send: the request did not come through them all.
        return remote
    return forwarded[-proxies]
