import django_filters
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from logistics.access import grants_of, is_staff_member
from logistics.alerts import AlertClosed, AlertInvalid, alert_resolve, alerts_for
from logistics.api.serializers import (
    AlertErrorSerializer,
    AlertResolveSerializer,
    AlertSerializer,
    CampusSerializer,
    DepartmentSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from logistics.models import Alert, Campus, Department, Role
from logistics.search import SearchError, search


class TokenView(APIView):
    """Exchange a username and password for an API token (CONTRACT.md)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts this attempt and refuses a locked-out username and address.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [_("The username or password is wrong.")]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class MeView(APIView):
    """The caller: who they are and which roles, with which scopes, they hold."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        grants = grants_of(user)
        campuses = dict(Campus.objects.values_list("pk", "code"))
        departments = dict(Department.objects.values_list("pk", "code"))
        payload = {
            "id": user.pk,
            "username": user.username,
            "name": user.display_name,
            "roles": [
                {
                    "role": g.role,
                    "role_label": str(Role(g.role).label),
                    "campus": campuses.get(g.campus_id),
                    "department": departments.get(g.department_id),
                }
                for g in grants
            ],
        }
        return Response(MeSerializer(payload).data)


class CampusList(generics.ListAPIView):
    serializer_class = CampusSerializer
    queryset = Campus.objects.all()


class DepartmentList(generics.ListAPIView):
    serializer_class = DepartmentSerializer
    queryset = Department.objects.prefetch_related("service_areas").order_by("code")


# --- Alerts ----------------------------------------------------------------------------------


class AlertFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter(help_text="One kind, e.g. zero_report_missing.")
    date = django_filters.DateFilter(field_name="for_date", help_text="YYYY-MM-DD.")
    state = django_filters.ChoiceFilter(
        choices=[("open", "open"), ("resolved", "resolved")],
        method="filter_state",
        empty_label=None,
        help_text="open (the default) or resolved.",
    )

    class Meta:
        model = Alert
        fields = ["kind", "date", "state"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(resolved_at__isnull=value != "resolved")

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(resolved_at__isnull=True)
        return super().filter_queryset(queryset)


ALERT_TAGS = ["alerts"]


@extend_schema_view(
    get=extend_schema(
        operation_id="alerts_list",
        summary="The alerts the caller must act on",
        description="Open alerts, newest first (`?state=resolved` for the resolved ones): "
        "those of the caller's roles in their scope (a dorm manager's buildings, a dining "
        "manager's canteens…); administrators see all, anyone without a staff role none.",
        responses={200: AlertSerializer(many=True), 400: AlertErrorSerializer},
        tags=ALERT_TAGS,
    )
)
class AlertList(generics.ListAPIView):
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        return (
            alerts_for(self.request.user)
            .select_related("resolved_by")
            .prefetch_related("subject")
            .order_by("-created_at", "-id")
        )


class AlertResolve(APIView):
    @extend_schema(
        operation_id="alerts_resolve",
        summary="Resolve an alert",
        description="Closes the alert for everyone, with a note saying what was done. 404 for "
        "an alert the caller does not act on; 409 if it was resolved already.",
        request=AlertResolveSerializer,
        responses={
            200: AlertSerializer,
            400: OpenApiResponse(AlertErrorSerializer, description="No note, or too long."),
            404: OpenApiResponse(AlertErrorSerializer, description="No such alert for you."),
            409: OpenApiResponse(AlertErrorSerializer, description="Resolved already."),
        },
        tags=ALERT_TAGS,
    )
    def post(self, request, pk: int):
        alert = generics.get_object_or_404(alerts_for(request.user), pk=pk)
        data = AlertResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            alert = alert_resolve(actor=request.user, alert=alert, note=data.validated_data["note"])
        except AlertClosed as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except AlertInvalid as error:
            return Response(
                {"detail": error.message, "errors": {error.field or "note": [error.message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(AlertSerializer(alert).data)


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="resident, room, building, ticket, asset, complaint, nonconformity, inspection"
    )
    id = serializers.IntegerField()
    label = serializers.CharField()
    url = serializers.CharField(help_text="The portal page of the record.")


class SearchView(APIView):
    """The staff's search (CONTRACT.md "Search"): logistics.search over every app's providers."""

    @extend_schema(
        operation_id="search",
        summary="Search for a resident, room, ticket, asset or complaint",
        description="At most 20 hits, best first, among what the caller may see: a student id "
        "or its start, a name or its pinyin initials (王伟: ww), a room as S01-101 or a "
        "building's code, a ticket number (#123), a complaint, nonconformity or inspection "
        "number (CP-45, NC-12, QI-7), an asset tag or its start. 400 for an empty or too long "
        "`q`; 403 for residents.",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
                required=True,
                description="What to search for: up to 100 characters, not only spaces.",
            ),
        ],
        responses={
            200: SearchHitSerializer(many=True),
            400: OpenApiResponse(AlertErrorSerializer, description="No `q`, or too long."),
            403: OpenApiResponse(AlertErrorSerializer, description="Residents may not search."),
        },
        tags=["search"],
    )
    def get(self, request):
        if not is_staff_member(request.user):
            return Response({"detail": _("Search is for staff.")}, status=status.HTTP_403_FORBIDDEN)
        try:
            hits = search(request.user, request.query_params.get("q", ""))
        except SearchError as error:
            return Response(
                {"detail": str(error), "errors": {"q": [str(error)]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response([hit.as_contract() for hit in hits])
