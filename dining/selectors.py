"""Reads of the dining app for the other apps.

This file is the interface the quality app's scorecards call (food safety of the dining
center); the dining branch implements it, and the lead replaces this stand-in on merge."""

from __future__ import annotations

from datetime import date


def food_safety_compliance(start: date, end: date) -> dict:
    """The dining center's food-safety compliance from `start` to `end` (inclusive):
    `{"score": 0–100 | None, "n": int}`, `n` the number of checks it rests on and `score`
    None when there were none. The interface only: no checks are recorded yet."""
    return {"score": None, "n": 0}
