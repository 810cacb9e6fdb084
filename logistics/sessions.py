"""The portal's session store: Django's database sessions, the session read on every signed-in
request by a statement compiled once (logistics.db.ModelTemplate) instead of a queryset
compiled per request (docs/performance.md, "Fifth pass"). Everything else is Django's."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from logistics.db import ModelTemplate

# Values that occur nowhere else, standing in the compiled statement for the real ones.
_KEY_MARKER = "zzsessionkeymarkerzz"
_NOW_MARKER = dt.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=dt.UTC)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        alias = router.db_for_read(model)
        # A time is a parameter as the database takes it (SQLite: text), marker and value alike.
        adapt = connections[alias].ops.adapt_datetimefield_value
        template = ModelTemplate.shared(
            "logistics.sessions",
            lambda: model.objects.using(alias).filter(
                session_key=_KEY_MARKER, expire_date__gt=_NOW_MARKER
            )[:1],
            {"key": _KEY_MARKER, "now": adapt(_NOW_MARKER)},
            using=alias,
        )
        session = template.first(key=self.session_key, now=adapt(timezone.now()))
        if session is None:
            self._session_key = None
        return session
