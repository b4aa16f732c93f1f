"""Users of every role, API clients holding their tokens, and small documents to upload."""

from __future__ import annotations

import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken
from docintel.accounts.roles import Role, set_roles

ROLES = [*Role.values, "none"]  # "none": signed in, no role at all
PASSWORD = "correct horse battery staple 42"


def make_user(role: str, username: str | None = None):
    user = get_user_model().objects.create_user(username or f"{role}-user", password=PASSWORD)
    if role != "none":
        set_roles(user, {role})
    return user


@pytest.fixture
def users(db) -> dict:
    return {role: make_user(role) for role in ROLES}


@pytest.fixture
def api_for(users):
    """api_for("clerk") -> an APIClient sending that user's token."""

    def client(role: str) -> APIClient:
        _, key = ApiToken.issue(users[role], "tests")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return client


def text_file(content: str = "Service agreement between Acme Ltd and Beta GmbH.\n", name: str = "note.txt"):
    handle = io.BytesIO(content.encode())
    handle.name = name
    return handle


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Each test counts logins and requests from zero: the same cache backend (Redis in CI), its own
    key prefix. (Clearing the cache would flush the Redis database the broker shares.)"""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
