"""The notifications page: a user's own messages, newest first, unread ones marked; reading one
follows its link. Thin: parse → core.notifications → render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import notifications

PER_PAGE = 25


def _local_path(url: str) -> bool:
    """A path on this site ("/agreements/4/"), never another host or a scheme."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = notifications.notifications_for(request.user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"page": page, "unread": notifications.unread_count(request.user)},
    )


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    n = notifications.notifications_mark_all_read(user=request.user)
    if n:
        messages.success(
            request,
            ngettext("%(n)s notification marked as read.", "%(n)s notifications marked as read.", n)
            % {"n": n},
        )
    else:
        messages.info(request, _("Every notification was already read."))
    return redirect("notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notifications.get_notification_for_user(request.user, pk)
    notifications.notification_mark_read(user=request.user, notification=notification)
    if notification.url and _local_path(notification.url):
        return redirect(notification.url)
    return redirect("notifications")
