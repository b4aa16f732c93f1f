"""Drill: the data volume is full. Uploads are refused with HTTP 507 and a clear error, nothing is half
written (no original, no temporary file, no document row, no upload event), the audit log verifies, and
``/readyz`` says the disk is the problem. The volume is a real, small tmpfs mount."""

from __future__ import annotations

import io
import os
import subprocess
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.verify import verify_log
from docintel.accounts.models import ApiToken
from docintel.documents.models import Document
from tests.factories import make_user
from tests.ops.conftest import require_drills

pytestmark = pytest.mark.drill


@pytest.fixture
def small_volume(tmp_path, settings):
    require_drills()
    mount = tmp_path / "volume"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)], check=True)
    settings.DATA_DIR = mount
    settings.DOCUMENT_STORE_DIR = mount / "originals"
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = ["parse: docintel.documents.pipeline.parse.ParseStage"]
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(volume, leave_kb: int) -> None:
    """Fill the volume until only about ``leave_kb`` KB are free."""
    free = os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize
    with open(volume / "filler", "wb") as handle:
        handle.write(b"\0" * max(0, free - leave_kb * 1024))


def upload(api: APIClient, size: int, name: str):
    handle = io.BytesIO((b"Discharge summary. Plan: rest and fluids.\n" * (size // 42 + 1))[:size])
    handle.name = name
    return api.post("/api/v1/documents/", {"file": handle}, format="multipart")


@pytest.fixture
def clerk_api(db):
    _, key = ApiToken.issue(make_user("clerk"), "tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def nothing_written(volume) -> None:
    originals = volume / "originals"
    leftovers = [p.name for p in originals.rglob("*") if p.is_file()] if originals.exists() else []
    assert leftovers == []  # no original and no half-written temporary file
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="document.uploaded").exists()


def test_an_upload_that_does_not_fit_is_refused_with_507(small_volume, clerk_api, settings):
    settings.MIN_FREE_DISK_MB = 0  # no reserve: the write itself runs out of space
    fill(small_volume, leave_kb=200)
    response = upload(clerk_api, 600_000, "big-note.txt")
    assert response.status_code == 507, response.content
    error = response.json()["error"]
    assert error["code"] == "storage_full"
    assert "space" in error["message"]
    nothing_written(small_volume)
    assert verify_log().ok


def test_uploads_stop_at_the_free_space_reserve_and_readyz_names_the_disk(small_volume, clerk_api, settings):
    settings.MIN_FREE_DISK_MB = 1
    fill(small_volume, leave_kb=600)  # below the 1 MB reserve: even a small file is refused
    response = upload(clerk_api, 2_000, "small-note.txt")
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "storage_full"
    nothing_written(small_volume)

    ready = Client().get("/readyz")
    assert ready.status_code == 503
    disk = ready.json()["checks"]["disk"]
    assert disk["ok"] is False and "reserve" in disk["detail"]

    (small_volume / "filler").unlink()  # the operator makes room: uploads work again
    response = upload(clerk_api, 2_000, "small-note.txt")
    assert response.status_code == 202, response.content
    assert Client().get("/readyz").json()["checks"]["disk"]["ok"] is True
    assert verify_log().ok
