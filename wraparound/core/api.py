from typing import Annotated, Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from . import selectors
from .models import Membership

router = Router(tags=["core"])


class Pages(PageNumberPagination):
    """Page-number pagination whose inputs are bounded, so no page or size overflows a query."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int | None = Field(None, ge=1, le=500)


# Database ids: positive and within a signed 64-bit integer, so that no input overflows a query.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class NetworkRef(Schema):
    id: int
    slug: str
    name: str


class MembershipOut(Schema):
    role: str
    role_label: str
    scope: str
    network: NetworkRef
    school_id: int | None
    organization_id: int | None
    coalition_id: int | None
    title: str

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return str(obj.get_role_display())


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    memberships: list[MembershipOut]


class NetworkOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    website: str


class CommunityRef(Schema):
    id: int
    code: str
    name: str


class SchoolOut(Schema):
    id: int
    code: str
    name: str
    network_id: int
    community: CommunityRef
    grade_low: str = Field(description="OneRoster grade code")
    grade_high: str = Field(description="OneRoster grade code")
    address_1: str
    city: str
    state_province: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    feeder_to_id: int | None
    is_community_school: bool
    enrollment: int | None
    share_economically_disadvantaged: float | None
    share_english_learners: float | None
    share_students_with_disabilities: float | None
    chronic_absenteeism_rate: float | None


@router.get("/me", response=MeOut, summary="Who I am and the roles I hold")
def me(request: HttpRequest) -> Any:
    user = cast(User, request.user)  # the API's auth classes let only signed-in users through
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "memberships": list(selectors.membership_list(user)),
    }


@router.get("/networks", response=list[NetworkOut], summary="Networks in which I hold a role")
def networks(request: HttpRequest) -> Any:
    from . import access

    return access.visible_networks(request.user).order_by("name")


@router.get("/schools", response=list[SchoolOut], summary="Schools I may see")
@paginate(Pages, page_size=50)
def schools(
    request: HttpRequest,
    community: Id | None = None,
    network: Id | None = None,
    q: Annotated[str, Field(max_length=200)] = "",
) -> Any:
    return selectors.school_list(
        request.user, community_id=community, network_id=network, query=q.strip()
    )


@router.get("/schools/{school_id}", response=SchoolOut, summary="One school")
def school(request: HttpRequest, school_id: Id) -> Any:
    return selectors.school_detail(request.user, school_id)
