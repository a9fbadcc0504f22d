"""The directory's pages: search (coordinators), profiles and review (partners, network admins),
HSDS imports and exports (network admins) and the public page for families."""

from .views import exports, imports, profiles, public, search

urlpatterns = [
    *search.urlpatterns,
    *profiles.urlpatterns,
    *imports.urlpatterns,
    *exports.urlpatterns,
    *public.urlpatterns,
]
