"""Coalition pages. Thin: parse → selector/service → render.

Who may do what (tests in tests/test_views.py):
- the coalition list: network admins (all of their networks' coalitions, and the create button)
  and coalition members (their own); anyone else 403 (the page names nothing);
- a coalition's pages (home, a member agency, measures, board, a post): whoever sees the
  coalition (`access.visible_coalitions`), else 404;
- editing the coalition, its members and contacts: network admins (others who see it: 403);
- commitments and entered measures (entering, correcting, removing): network admins, and
  contacts for their member agencies;
- the board: posting for a member agency one is a contact of (admins: any, or none); answering:
  anyone who sees the coalition; closing: who posted, or a network admin.
Bad input re-renders the form with what was typed and a 400."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import Coalition, Community, Network, Organization, School
from wraparound.core.roles import Role

from . import measures as measures_mod
from . import selectors, services
from .forms import (
    CoalitionForm,
    CommitmentForm,
    ContactForm,
    MeasureEntryForm,
    MemberForm,
    PeriodForm,
    PostForm,
    ResponseForm,
    initial_from_commitment,
)
from .models import (
    CoalitionMember,
    Commitment,
    MeasureEntry,
    PostKind,
    PostStatus,
    ResourcePost,
)

BOARD_PAGE = 20


def _errors_into(
    form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            field = (aliases or {}).get(field, field)
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _coalition(request: HttpRequest, pk: int) -> Coalition:
    return selectors.get_coalition(request.user, pk)


def _manage(request: HttpRequest, coalition: Coalition) -> None:
    if not access.can_manage_coalition(request.user, coalition):
        raise PermissionDenied


def _form_page(
    request: HttpRequest,
    coalition: Coalition | None,
    form: forms.Form,
    *,
    title: str,
    submit: str,
    back: str,
    status: int = 200,
    intro: str = "",
) -> HttpResponse:
    return render(
        request,
        "coalitions/form.html",
        {
            "coalition": coalition,
            "form": form,
            "title": title,
            "submit": submit,
            "back": reverse(back, args=[coalition.pk] if coalition else []),
            "intro": intro,
        },
        status=status,
    )


# --- coalitions -----------------------------------------------------------------------------------


@login_required
@require_GET
def coalition_list(request: HttpRequest) -> HttpResponse:
    if not access.can_list_coalitions(request.user):
        raise PermissionDenied
    return render(
        request,
        "coalitions/list.html",
        {
            "coalitions": list(selectors.coalition_list(request.user)),
            "can_create": access.can_manage_coalitions(request.user),
        },
    )


def _admin_networks(request: HttpRequest) -> list[Network]:
    ids = access.grants(request.user).networks_with(Role.NETWORK_ADMIN)
    return list(Network.objects.filter(id__in=ids).order_by("name"))


def _coalition_form(networks: list[Network], data: Any = None, **kwargs: Any) -> CoalitionForm:
    communities = list(
        Community.objects.filter(network__in=networks)
        .select_related("network")
        .order_by("network__name", "code")
    )
    return CoalitionForm(data, networks=networks, communities=communities, **kwargs)


def _community(network: Network, community_id: int | None) -> Community | None:
    if community_id is None:
        return None
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        raise ValidationError({"community": _("Choose a community of the network.")})
    return community


@login_required
@require_http_methods(["GET", "POST"])
def coalition_create(request: HttpRequest) -> HttpResponse:
    networks = _admin_networks(request)
    if not networks:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = _coalition_form(networks, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            network = next(n for n in networks if n.pk == d["network"])
            try:
                coalition = services.coalition_create(
                    user=request.user,
                    network=network,
                    community=_community(network, d["community"]),
                    name=d["name"],
                    focus=d["focus"],
                    principles=d["principles"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Coalition created. Now add its member agencies."))
                return redirect("coalition_detail", pk=coalition.pk)
        status = 400
    else:
        form = _coalition_form(networks)
    return _form_page(
        request,
        None,
        form,
        title=_("New coalition"),
        submit=_("Create the coalition"),
        back="coalition_list",
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def coalition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    _manage(request, coalition)
    networks = [coalition.network]
    status = 200
    if request.method == "POST":
        data = request.POST.copy()
        data["network"] = str(coalition.network_id)
        form = _coalition_form(networks, data)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.coalition_update(
                    user=request.user,
                    coalition=coalition,
                    community=_community(coalition.network, d["community"]),
                    name=d["name"],
                    focus=d["focus"],
                    principles=d["principles"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Coalition saved."))
                return redirect("coalition_detail", pk=coalition.pk)
        status = 400
    else:
        form = _coalition_form(
            networks,
            initial={
                "network": coalition.network_id,
                "name": coalition.name,
                "community": coalition.community_id,
                "focus": coalition.focus,
                "principles": coalition.principles,
            },
        )
    return _form_page(
        request,
        coalition,
        form,
        title=_("Edit the coalition"),
        submit=_("Save the changes"),
        back="coalition_detail",
        status=status,
    )


@login_required
@require_GET
def coalition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    start, end = measures_mod.default_period(coalition)
    figures = measures_mod.compute(coalition, start, end)
    members = selectors.members_with_contacts(coalition)
    mine = access.coalition_member_ids_for(request.user, coalition)
    return render(
        request,
        "coalitions/detail.html",
        {
            "coalition": coalition,
            "principles": [p for p in coalition.principles.splitlines() if p.strip()],
            "members": members,
            "mine": mine,
            "commitments": selectors.commitments(coalition),
            "figures": figures,
            "open_posts": list(selectors.board_posts(coalition, status="open")[:5]),
            "can_manage": access.can_manage_coalition(request.user, coalition),
            "can_commit": bool(mine) or access.can_manage_coalition(request.user, coalition),
        },
    )


# --- member agencies and contacts -----------------------------------------------------------------


def _member_form(coalition: Coalition, data: Any = None) -> MemberForm:
    taken = CoalitionMember.objects.filter(coalition=coalition)
    organizations = list(
        Organization.objects.filter(network_id=coalition.network_id)
        .exclude(pk__in=taken.filter(organization__isnull=False).values("organization_id"))
        .order_by("name")
        .only("pk", "name")
    )
    schools = list(
        School.objects.filter(network_id=coalition.network_id)
        .exclude(pk__in=taken.filter(school__isnull=False).values("school_id"))
        .order_by("code")
        .only("pk", "code", "name")
    )
    return MemberForm(data, organizations=organizations, schools=schools)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    _manage(request, coalition)
    status = 200
    if request.method == "POST":
        form = _member_form(coalition, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                member = services.member_add(
                    user=request.user,
                    coalition=coalition,
                    kind=d["kind"],
                    organization=Organization.objects.filter(pk=d["organization"]).first()
                    if d["organization"]
                    else None,
                    school=School.objects.filter(pk=d["school"]).first() if d["school"] else None,
                    name=d["name"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Member agency added. Now add its contacts."))
                return redirect("coalition_member_detail", pk=coalition.pk, member_pk=member.pk)
        status = 400
    else:
        form = _member_form(coalition)
    return _form_page(
        request,
        coalition,
        form,
        title=_("Add a member agency"),
        submit=_("Add the member agency"),
        back="coalition_detail",
        status=status,
        intro=_(
            "Choose an organization of the directory or a school of the network; an agency "
            "outside the directory (a city agency, a Head Start centre) is named, with its kind."
        ),
    )


def _render_member(
    request: HttpRequest,
    coalition: Coalition,
    member: CoalitionMember,
    *,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = access.can_manage_coalition(request.user, coalition)
    if can_manage and contact_form is None:
        contact_form = ContactForm()
    return render(
        request,
        "coalitions/member.html",
        {
            "coalition": coalition,
            "member": member,
            "contacts": list(member.contacts.select_related("user")),
            "commitments": list(member.commitments.order_by("-starts_on", "pk")),
            "can_manage": can_manage,
            "can_act": access.can_act_for_coalition_member(request.user, coalition, member.pk),
            "contact_form": contact_form if can_manage else None,
        },
        status=status,
    )


@login_required
@require_GET
def member_detail(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    member = selectors.get_member(coalition, member_pk)
    return _render_member(request, coalition, member)


@login_required
@require_POST
def member_set_active(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    member = selectors.get_member(coalition, member_pk)
    _manage(request, coalition)
    active = request.POST.get("active") == "1"
    services.member_set_active(user=request.user, member=member, active=active)
    messages.success(
        request, _("Member agency reactivated.") if active else _("Member agency deactivated.")
    )
    return redirect("coalition_member_detail", pk=coalition.pk, member_pk=member.pk)


CONTACT_FIELDS = {"user": "account"}  # the service's name → the form's


def _contact_fields(form: ContactForm, coalition: Coalition) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "name": d["name"],
        "title": d["title"],
        "email": d["email"],
        "phone": d["phone"],
        "is_primary": d["is_primary"],
        "contact_user": services.find_network_user(coalition.network, d["account"]),
    }


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    member = selectors.get_member(coalition, member_pk)
    _manage(request, coalition)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_add(
                user=request.user, member=member, **_contact_fields(form, coalition)
            )
        except ValidationError as error:
            _errors_into(form, error, CONTACT_FIELDS)
        else:
            messages.success(request, _("Contact added."))
            return redirect("coalition_member_detail", pk=coalition.pk, member_pk=member.pk)
    return _render_member(request, coalition, member, contact_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    contact = selectors.get_contact(coalition, contact_pk)
    _manage(request, coalition)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.contact_update(
                    user=request.user, contact=contact, **_contact_fields(form, coalition)
                )
            except ValidationError as error:
                _errors_into(form, error, CONTACT_FIELDS)
            else:
                messages.success(request, _("Contact saved."))
                return redirect(
                    "coalition_member_detail", pk=coalition.pk, member_pk=contact.member_id
                )
        status = 400
    else:
        form = ContactForm(
            initial={
                "name": contact.name,
                "title": contact.title,
                "email": contact.email,
                "phone": contact.phone,
                "account": contact.user.get_username() if contact.user else "",
                "is_primary": contact.is_primary,
            }
        )
    return _form_page(
        request,
        coalition,
        form,
        title=_("Edit the contact of %(member)s") % {"member": contact.member.display_name},
        submit=_("Save the contact"),
        back="coalition_detail",
        status=status,
    )


@login_required
@require_POST
def contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    contact = selectors.get_contact(coalition, contact_pk)
    _manage(request, coalition)
    member_pk = contact.member_id
    services.contact_remove(user=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("coalition_member_detail", pk=coalition.pk, member_pk=member_pk)


# --- commitments ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def commitment_create(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    members = selectors.acting_members(request.user, coalition)
    if not members and not access.can_manage_coalition(request.user, coalition):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = CommitmentForm(request.POST, members=members)
        if form.is_valid():
            member = next(m for m in members if m.pk == form.cleaned_data["member"])
            try:
                services.commitment_create(
                    user=request.user, coalition=coalition, member=member, **form.to_service()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Commitment recorded."))
                return redirect("coalition_detail", pk=coalition.pk)
        status = 400
    else:
        start, end = measures_mod.default_period(coalition)
        initial: dict[str, Any] = {"starts_on": start, "ends_on": end}
        if request.GET.get("member", "").isdigit():
            initial["member"] = int(request.GET["member"])
        form = CommitmentForm(members=members, initial=initial)
    return _form_page(
        request,
        coalition,
        form,
        title=_("Record a commitment"),
        submit=_("Record the commitment"),
        back="coalition_detail",
        status=status,
        intro=_(
            "What the member agency will contribute over the period. A commitment to accept "
            "referrals is checked against the referrals it accepts; other kinds against the "
            "figures entered on the measures page."
        ),
    )


def _commitment_for_change(request: HttpRequest, pk: int, commitment_pk: int) -> Commitment:
    coalition = _coalition(request, pk)
    commitment = selectors.get_commitment(coalition, commitment_pk)
    if not access.can_act_for_coalition_member(request.user, coalition, commitment.member_id):
        raise PermissionDenied
    return commitment


@login_required
@require_http_methods(["GET", "POST"])
def commitment_edit(request: HttpRequest, pk: int, commitment_pk: int) -> HttpResponse:
    commitment = _commitment_for_change(request, pk, commitment_pk)
    coalition = commitment.coalition
    members = [commitment.member]
    status = 200
    if request.method == "POST":
        data = request.POST.copy()
        data["member"] = str(commitment.member_id)
        form = CommitmentForm(data, members=members)
        if form.is_valid():
            try:
                services.commitment_update(
                    user=request.user, commitment=commitment, **form.to_service()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Commitment saved."))
                return redirect("coalition_detail", pk=coalition.pk)
        status = 400
    else:
        form = CommitmentForm(members=members, initial=initial_from_commitment(commitment))
    form.fields["member"].disabled = True
    return _form_page(
        request,
        coalition,
        form,
        title=_("Edit the commitment of %(member)s") % {"member": commitment.member.display_name},
        submit=_("Save the commitment"),
        back="coalition_detail",
        status=status,
    )


@login_required
@require_POST
def commitment_delete(request: HttpRequest, pk: int, commitment_pk: int) -> HttpResponse:
    commitment = _commitment_for_change(request, pk, commitment_pk)
    services.commitment_delete(user=request.user, commitment=commitment)
    messages.success(request, _("Commitment removed."))
    return redirect("coalition_detail", pk=pk)


# --- accountability measures ----------------------------------------------------------------------


def _entry_form(
    request: HttpRequest,
    coalition: Coalition,
    data: Any = None,
    *,
    entry: MeasureEntry | None = None,
    **kwargs: Any,
) -> MeasureEntryForm | None:
    members = selectors.acting_members(request.user, coalition)
    admin = access.can_manage_coalition(request.user, coalition)
    if not members and not admin:
        return None
    # An entry being corrected keeps its member agency and commitment among the choices even
    # when the agency has since been deactivated (only an admin can still act for it then).
    if (
        entry is not None
        and entry.member is not None
        and admin
        and all(m.pk != entry.member_id for m in members)
    ):
        members = [*members, entry.member]
    ids = {m.pk for m in members}
    commitments = [c for c in selectors.commitments(coalition) if c.member_id in ids]
    return MeasureEntryForm(
        data, members=members, commitments=commitments, whole_coalition=admin, **kwargs
    )


def _render_measures(
    request: HttpRequest,
    coalition: Coalition,
    *,
    entry_form: MeasureEntryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    period = PeriodForm(request.GET if ("from" in request.GET or "to" in request.GET) else None)
    start, end = measures_mod.default_period(coalition)
    figures = None
    if period.is_bound and not period.is_valid():
        status = 400
    else:
        if period.is_bound:
            start = period.cleaned_data.get("from_") or start
            end = period.cleaned_data.get("to") or end
            if end < start:
                period.add_error("to", _("The period must end on or after the day it starts."))
                status = 400
        if status != 400 or entry_form is not None:
            figures = measures_mod.compute(coalition, start, end)
    if entry_form is None:
        entry_form = _entry_form(request, coalition, initial={"starts_on": start, "ends_on": end})
    mine = access.coalition_member_ids_for(request.user, coalition)
    admin = access.can_manage_coalition(request.user, coalition)
    return render(
        request,
        "coalitions/measures.html",
        {
            "coalition": coalition,
            "figures": figures,
            "period": period,
            "start": start,
            "end": end,
            "entry_form": entry_form,
            "deletable": admin,
            "mine": mine,
        },
        status=status,
    )


@login_required
@require_GET
def measures(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    return _render_measures(request, coalition)


def _entry_fields(coalition: Coalition, form: MeasureEntryForm) -> dict[str, Any]:
    d = form.cleaned_data
    member = (
        CoalitionMember.objects.filter(coalition=coalition, pk=d["member"]).first()
        if d["member"]
        else None
    )
    commitment = (
        Commitment.objects.filter(coalition=coalition, pk=d["commitment"]).first()
        if d["commitment"]
        else None
    )
    return {
        "member": member,
        "commitment": commitment,
        "name": d["name"],
        "value": d["value"],
        "unit": d["unit"],
        "starts_on": d["starts_on"],
        "ends_on": d["ends_on"],
        "note": d["note"],
    }


@login_required
@require_POST
def measure_entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    form = _entry_form(request, coalition, request.POST)
    if form is None:
        raise PermissionDenied
    if form.is_valid():
        try:
            services.measure_entry_create(
                user=request.user, coalition=coalition, **_entry_fields(coalition, form)
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Measure entered."))
            return redirect("coalition_measures", pk=coalition.pk)
    return _render_measures(request, coalition, entry_form=form, status=400)


def _entry_for_change(request: HttpRequest, pk: int, entry_pk: int) -> MeasureEntry:
    coalition = _coalition(request, pk)
    entry = selectors.get_measure_entry(coalition, entry_pk)
    if not access.can_act_for_coalition_member(request.user, coalition, entry.member_id):
        raise PermissionDenied
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def measure_entry_edit(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _entry_for_change(request, pk, entry_pk)
    coalition = entry.coalition
    status = 200
    if request.method == "POST":
        form = _entry_form(request, coalition, request.POST, entry=entry)
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.measure_entry_update(
                    user=request.user, entry=entry, **_entry_fields(coalition, form)
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Measure saved."))
                return redirect("coalition_measures", pk=coalition.pk)
        status = 400
    else:
        form = _entry_form(
            request,
            coalition,
            entry=entry,
            initial={
                "member": entry.member_id,
                "commitment": entry.commitment_id,
                "name": entry.name,
                "value": entry.value,
                "unit": entry.unit,
                "starts_on": entry.starts_on,
                "ends_on": entry.ends_on,
                "note": entry.note,
            },
        )
        if form is None:
            raise PermissionDenied
    return _form_page(
        request,
        coalition,
        form,
        title=_("Edit the measure “%(name)s”") % {"name": entry.name},
        submit=_("Save the measure"),
        back="coalition_measures",
        status=status,
    )


@login_required
@require_POST
def measure_entry_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    entry = selectors.get_measure_entry(coalition, entry_pk)
    services.measure_entry_delete(user=request.user, entry=entry)
    messages.success(request, _("Measure removed."))
    return redirect("coalition_measures", pk=coalition.pk)


# --- the shared-resources board -------------------------------------------------------------------


def _post_form(request: HttpRequest, coalition: Coalition, data: Any = None) -> PostForm | None:
    members = selectors.acting_members(request.user, coalition)
    admin = access.can_manage_coalition(request.user, coalition)
    if not members and not admin:
        return None
    return PostForm(data, members=members, allow_none=admin)


def _render_board(
    request: HttpRequest,
    coalition: Coalition,
    *,
    post_form: PostForm | None = None,
    status: int = 200,
) -> HttpResponse:
    show = request.GET.get("status") or "open"
    kind = request.GET.get("kind") or ""
    filter_error = ""
    if show not in selectors.BOARD_STATUSES or (kind and kind not in PostKind.values):
        filter_error = _("Choose a status and a kind from the lists.")
        status = 400
        show, kind = "open", ""
    if post_form is None:
        post_form = _post_form(request, coalition)
    page = Paginator(selectors.board_posts(coalition, status=show, kind=kind), BOARD_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "coalitions/board.html",
        {
            "coalition": coalition,
            "page": page,
            "posts": list(page.object_list),
            "querystring": urlencode({"status": show, "kind": kind}),
            "show": show,
            "kind": kind,
            "filter_error": filter_error,
            "post_form": post_form,
            "statuses": [
                ("open", _("Open")),
                ("fulfilled", _("Fulfilled")),
                ("withdrawn", _("Withdrawn")),
                ("all", _("All")),
            ],
            "kinds": [("", _("Offers and requests")), *PostKind.choices],
        },
        status=status,
    )


@login_required
@require_GET
def board(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_board(request, _coalition(request, pk))


@login_required
@require_POST
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    form = _post_form(request, coalition, request.POST)
    if form is None:
        raise PermissionDenied
    if form.is_valid():
        d = form.cleaned_data
        member = (
            CoalitionMember.objects.filter(coalition=coalition, pk=d["member"]).first()
            if d["member"]
            else None
        )
        try:
            post = services.resource_post_create(
                user=request.user,
                coalition=coalition,
                member=member,
                kind=d["kind"],
                title=d["title"],
                body=d["body"],
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Posted to the board."))
            return redirect("coalition_post_detail", pk=coalition.pk, post_pk=post.pk)
    return _render_board(request, coalition, post_form=form, status=400)


def _render_post(
    request: HttpRequest,
    coalition: Coalition,
    post: ResourcePost,
    *,
    response_form: ResponseForm | None = None,
    close_error: str = "",
    status: int = 200,
) -> HttpResponse:
    is_open = post.status == PostStatus.OPEN
    can_respond = is_open and access.can_respond_to_resource_post(request.user, coalition)
    if can_respond and response_form is None:
        response_form = ResponseForm(members=selectors.acting_members(request.user, coalition))
    return render(
        request,
        "coalitions/post.html",
        {
            "coalition": coalition,
            "post": post,
            "responses": selectors.post_responses(post),
            "response_form": response_form if can_respond else None,
            "can_close": is_open and access.can_close_resource_post(request.user, post),
            "close_error": close_error,
        },
        status=status,
    )


@login_required
@require_GET
def post_detail(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    return _render_post(request, coalition, selectors.get_post(coalition, post_pk))


@login_required
@require_POST
def post_respond(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    post = selectors.get_post(coalition, post_pk)
    if not access.can_respond_to_resource_post(request.user, coalition):
        raise PermissionDenied
    form = ResponseForm(request.POST, members=selectors.acting_members(request.user, coalition))
    if form.is_valid():
        d = form.cleaned_data
        member = (
            CoalitionMember.objects.filter(coalition=coalition, pk=d["member"]).first()
            if d["member"]
            else None
        )
        try:
            services.resource_post_respond(
                user=request.user, post=post, message=d["message"], member=member
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Response sent; the poster has been notified."))
            return redirect("coalition_post_detail", pk=coalition.pk, post_pk=post.pk)
    post.refresh_from_db()
    if post.status != PostStatus.OPEN:
        return _render_post(
            request,
            coalition,
            post,
            close_error=_("This post is closed; it takes no more responses."),
            status=400,
        )
    return _render_post(request, coalition, post, response_form=form, status=400)


@login_required
@require_POST
def post_close(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    coalition = _coalition(request, pk)
    post = selectors.get_post(coalition, post_pk)
    if not access.can_close_resource_post(request.user, post):
        raise PermissionDenied
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _render_post(
            request, coalition, post, close_error=_("Reload the page and try again."), status=400
        )
    try:
        services.resource_post_close(
            user=request.user,
            post=post,
            status=request.POST.get("status", ""),
            expected_version=version,
        )
    except ValidationError as error:
        return _render_post(
            request, coalition, post, close_error=" ".join(error.messages), status=400
        )
    except services.ResourcePostConflict as conflict:
        post.refresh_from_db()
        return _render_post(request, coalition, post, close_error=conflict.message, status=409)
    post.refresh_from_db()
    messages.success(
        request,
        _("Marked fulfilled.") if post.status == PostStatus.FULFILLED else _("Post withdrawn."),
    )
    return redirect("coalition_post_detail", pk=coalition.pk, post_pk=post.pk)
