"""Dining tests assert the services' messages in English (Chinese is the portal's default
language, and the catalogue translates them); pages choose their language per test."""

import pytest


@pytest.fixture(autouse=True)
def _services_in_english():
    from django.utils import translation

    with translation.override("en"):
        yield
