"""The dining endpoints under /api/v1/ (CONTRACT.md "Dining"):

- `GET /api/v1/canteens/` → the canteens in use `{"id", "name", "campus"}` (any signed-in user);
- `GET /api/v1/menus/?date=YYYY-MM-DD[&campus=][&canteen=]` → the menus of the day with each
  dish's price, allergens and rating (any signed-in user);
- `POST /api/v1/dish-ratings/` → 201 for a new rating, 200 when it replaces the caller's own
  for that dish, day and meal, 400 for a dish not on that menu or stars outside 1–5;
- `POST /api/v1/food-samples/` by the canteen's staff or the dining manager → 201; fewer than
  FOOD_SAMPLE_MIN_GRAMS → 400; a canteen the caller does not work in → 404.

Lists are paginated like every list of the API.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from dining import safety, selectors, services
from dining.models import Canteen, Dish, Meal
from logistics.api.schema import ApiErrorSerializer
from logistics.api.strict import StrictSerializer

TAGS = ["dining"]
BIGINT_MAX = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX}


class CanteenSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    campus = serializers.IntegerField(source="campus_id")

    class Meta:
        model = Canteen
        fields = ["id", "name", "campus"]


@extend_schema_view(
    get=extend_schema(
        operation_id="canteens_list",
        summary="List canteens",
        description="The canteens in use, for any signed-in user.",
        tags=TAGS,
    )
)
class CanteenList(generics.ListAPIView):
    serializer_class = CanteenSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.canteens_for_diners()


class MenuItemSerializer(serializers.Serializer):
    dish = serializers.IntegerField(source="dish_id")
    name = serializers.CharField(source="dish.display_name")
    price = serializers.DecimalField(max_digits=7, decimal_places=2)
    allergens = serializers.ListField(child=serializers.CharField(), source="dish.allergens")
    rating = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()


class MenuSerializer(serializers.Serializer):
    canteen = serializers.IntegerField(source="menu.canteen_id")
    date = serializers.DateField(source="menu.date")
    meal = serializers.CharField(source="menu.meal")
    items = MenuItemSerializer(many=True)


class MenuQuerySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="YYYY-MM-DD")
    campus = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)
    canteen = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)


class MenuList(generics.GenericAPIView):
    serializer_class = MenuSerializer
    filter_backends = []

    @extend_schema(
        operation_id="menus_list",
        summary="The menus of a day",
        description="Every canteen's menus of `date` (optionally of one campus or canteen), "
        "each dish with its price, allergens and average rating.",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=True),
            OpenApiParameter("campus", ID_SCHEMA, description="A campus's id."),
            OpenApiParameter("canteen", ID_SCHEMA, description="A canteen's id."),
        ],
        responses={
            200: MenuSerializer(many=True),
            400: OpenApiResponse(ApiErrorSerializer, description="A missing or bad parameter."),
        },
        tags=TAGS,
    )
    def get(self, request):
        query = {}
        for key in ("date", "campus", "canteen"):
            values = request.query_params.getlist(key)
            if len(values) > 1:
                raise ValidationError({key: [_("Give this parameter once.")]})
            if values:
                query[key] = values[0]
        params = MenuQuerySerializer(data=query)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        menus = selectors.menus_between(
            values["date"],
            values["date"],
            campus=values.get("campus"),
            canteen=values.get("canteen"),
        )
        page = self.paginate_queryset(menus)
        return self.get_paginated_response(MenuSerializer(page, many=True).data)


class RatingCreateSerializer(StrictSerializer):
    dish = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    date = serializers.DateField()
    meal = serializers.ChoiceField(choices=Meal.choices)
    stars = serializers.IntegerField(
        min_value=1,
        max_value=5,
        error_messages={
            "min_value": gettext_lazy("Give 1 to 5 stars."),
            "max_value": gettext_lazy("Give 1 to 5 stars."),
        },
    )
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX_LENGTH, required=False, allow_blank=True
    )


class RatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dish = serializers.IntegerField(source="dish_id")
    date = serializers.DateField()
    meal = serializers.CharField()
    stars = serializers.IntegerField()
    comment = serializers.CharField()


class DishRatingCreate(APIView):
    @extend_schema(
        operation_id="dish_ratings_create",
        summary="Rate a dish",
        description="The caller's 1–5 stars (and comment) for a dish they ate: 201 when new, 200 "
        "when it replaces their rating of that dish, day and meal; 400 for a dish not on that "
        "meal's menu (which depends on the data, not on the request's shape), a meal still to "
        "come, or stars outside 1–5.",
        request=RatingCreateSerializer,
        responses={
            201: RatingSerializer,
            200: RatingSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="Bad input."),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = RatingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dish = Dish.objects.filter(pk=values["dish"]).first()
        try:
            if dish is None:
                raise services.RatingInvalid(
                    _("This dish was not on that meal's menu."), field="dish"
                )
            rating, created = services.rating_set(
                actor=request.user,
                dish=dish,
                date=values["date"],
                meal=values["meal"],
                stars=values["stars"],
                comment=values.get("comment", ""),
            )
        except services.RatingInvalid as error:
            raise ValidationError({error.field or "non_field_errors": [error.message]}) from error
        return Response(
            RatingSerializer(rating).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SampleCreateSerializer(StrictSerializer):
    canteen = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    date = serializers.DateField()
    meal = serializers.ChoiceField(choices=Meal.choices)
    dish = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    grams = serializers.IntegerField(min_value=0, max_value=100_000)


class SampleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    canteen = serializers.IntegerField(source="canteen_id")
    date = serializers.DateField()
    meal = serializers.CharField()
    dish = serializers.IntegerField(source="dish_id")
    grams = serializers.IntegerField()
    taken_at = serializers.DateTimeField()
    taken_by = serializers.CharField(source="taken_by.username")


class FoodSampleCreate(APIView):
    @extend_schema(
        operation_id="food_samples_create",
        summary="Record a retained food sample (留样)",
        description="By the canteen's staff or the dining manager: 201. Fewer grams than "
        "FOOD_SAMPLE_MIN_GRAMS, or a dish not on that meal's menu → 400; a canteen the caller "
        "does not work in → 404; a second sample of that dish and meal → 409.",
        request=SampleCreateSerializer,
        responses={
            201: SampleSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="Bad input."),
            404: OpenApiResponse(ApiErrorSerializer, description="Not your canteen."),
            409: OpenApiResponse(ApiErrorSerializer, description="Recorded already."),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = SampleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        canteen = Canteen.objects.filter(pk=values["canteen"]).first()
        dish = Dish.objects.filter(pk=values["dish"]).first()
        try:
            if canteen is None:
                raise safety.NotYourCanteen()
            if dish is None:
                safety.check_works(request.user, canteen.pk)
                raise safety.SafetyInvalid(_("This dish is not on that meal's menu."), field="dish")
            sample = safety.sample_record(
                actor=request.user,
                canteen=canteen,
                date=values["date"],
                meal=values["meal"],
                dish=dish,
                grams=values["grams"],
            )
        except safety.SafetyInvalid as error:
            raise ValidationError({error.field or "non_field_errors": [error.message]}) from error
        except safety.SafetyError as error:
            return Response({"detail": error.message, "code": error.code}, status=error.status_code)
        return Response(SampleSerializer(sample).data, status=status.HTTP_201_CREATED)
