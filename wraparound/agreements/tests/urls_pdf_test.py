"""Test urlconf: the project's URLs, plus the MOU PDF view when the project does not wire
`agreement_pdf` yet (urls_mou.py does, once the MOU pages land)."""

from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse

from config.urls import urlpatterns as project_urlpatterns
from wraparound.agreements import views_pdf

urlpatterns: list[URLPattern | URLResolver] = list(project_urlpatterns)

try:
    reverse("agreement_pdf", urlconf="config.urls", kwargs={"pk": 1, "number": 1})
except NoReverseMatch:
    urlpatterns.append(
        path(
            "agreements/<int:pk>/versions/<int:number>/pdf/",
            views_pdf.agreement_pdf,
            name="agreement_pdf",
        )
    )
