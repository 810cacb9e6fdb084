"""The API's token authentication: DRF's, with the user's role grants loaded in the same query
(logistics.access.user_with_grants_where), as the session backends do for the pages. DRF's
own reads the token with its user, and the first role check reads the grants: two queries on
every API request where one does."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from logistics.access import user_with_grants_where


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user = user_with_grants_where(auth_token__key=key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user=user)
        token._state.adding = False  # the stored token, as DRF would have read it
        return user, token
