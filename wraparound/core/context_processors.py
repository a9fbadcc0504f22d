from typing import Any

from django.http import HttpRequest

from .navigation import nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_items": nav_items(request)}
