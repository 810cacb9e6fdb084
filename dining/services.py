"""Diners' ratings of dishes: one per person, dish, day and meal (they may change it), only for a
dish that was on that meal's menu; the dining manager may hide an abusive comment. Raters stay
anonymous to everyone but the dining manager."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dining.access import managed_canteens
from dining.models import Dish, DishRating, MenuItem
from logistics.errors import ServiceError
from logistics.services import audit_record
from logistics.uploads import photo_create, register_photo_access

COMMENT_MAX_LENGTH = 500


class RatingInvalid(ServiceError):
    status_code = 400
    code = "invalid"


class RatingNotYours(ServiceError):
    status_code = 404
    code = "not_found"


@transaction.atomic
def rating_set(
    *, actor, dish: Dish, date: dt.date, meal: str, stars: int, comment: str = ""
) -> tuple[DishRating, bool]:
    """The actor's rating of a dish they ate at a meal: (rating, True) when new, (rating, False)
    when it replaced their earlier one."""
    if not actor.is_authenticated:
        raise RatingNotYours(_("Sign in to rate a dish."))
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise RatingInvalid(_("Give 1 to 5 stars."), field="stars")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise RatingInvalid(
            _("The comment is too long (%(max)s characters at most).")
            % {"max": COMMENT_MAX_LENGTH},
            field="comment",
        )
    if date > timezone.localdate():
        raise RatingInvalid(_("A meal still to come cannot be rated."), field="date")
    on_menu = MenuItem.objects.filter(
        dish=dish, menu__canteen_id=dish.canteen_id, menu__date=date, menu__meal=meal
    ).exists()
    if not on_menu:
        raise RatingInvalid(_("This dish was not on that meal's menu."), field="dish")
    rating, created = DishRating.objects.update_or_create(
        dish=dish,
        date=date,
        meal=meal,
        user=actor,
        defaults={"stars": stars, "comment": comment, "hidden": False, "hidden_by": None},
    )
    return rating, created


@transaction.atomic
def rating_hide(*, actor, rating: DishRating, hidden: bool = True) -> DishRating:
    """The dining manager hides (or shows again) an abusive comment; the stars still count."""
    if not managed_canteens(actor).filter(pk=rating.dish.canteen_id).exists():
        raise RatingNotYours(_("No such rating."))
    rating.hidden = hidden
    rating.hidden_by = actor if hidden else None
    rating.save(update_fields=["hidden", "hidden_by", "updated_at"])
    audit_record(
        actor=actor,
        action="rating.hide" if hidden else "rating.show",
        target=rating,
        changes={"comment": rating.comment},
    )
    return rating


# --- A dish's photo --------------------------------------------------------------------------


@transaction.atomic
def dish_photo_set(*, actor, dish: Dish, file) -> Dish:
    """The dining manager of the dish's canteen sets its photo (checked and re-encoded by the
    kernel: logistics.uploads). Raises ValidationError for a file that is not a photo."""
    if not managed_canteens(actor).filter(pk=dish.canteen_id).exists():
        raise RatingNotYours(_("No such dish."))
    dish.photo = photo_create(uploaded_by=actor, file=file)
    dish.save(update_fields=["photo"])
    audit_record(actor=actor, action="dish.photo", target=dish)
    return dish


@register_photo_access
def _diners_see_dish_photos(user, photo) -> bool:
    """A dish's photo is shown to every signed-in user with the menus."""
    return Dish.objects.filter(photo=photo).exists()
