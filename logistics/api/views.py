from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from logistics.access import grants_of
from logistics.api.serializers import (
    CampusSerializer,
    DepartmentSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from logistics.models import Campus, Department, Role


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
