"""Referral pages: a school's referrals and the new-referral form, one referral with its actions
and a draft's edit form, and an organization's inbox of referrals received."""

from django.urls import path

from . import views_referrals as views

urlpatterns = [
    path(
        "schools/<int:school_pk>/referrals/",
        views.referral_school_list,
        name="referral_school_list",
    ),
    path("schools/<int:school_pk>/referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/mine/", views.referrals_made, name="referrals_made"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral_edit"),
    path("referrals/<int:pk>/transition/", views.referral_transition, name="referral_transition"),
    path(
        "organizations/<int:org_pk>/referrals/",
        views.referral_partner_inbox,
        name="referral_partner_inbox",
    ),
    path(
        "organizations/<int:org_pk>/referrals/new/",
        views.referral_cross_agency_new,
        name="referral_cross_agency_new",
    ),
    path(
        "coalitions/<int:coalition_pk>/referrals/",
        views.referral_coalition_list,
        name="referral_coalition_list",
    ),
]
