"""Content-addressed store of originals: a file lives at originals/<sha[:2]>/<sha>, written once."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from docintel.errors import FileTooLarge, StorageFull

CHUNK = 1024 * 1024


def path_for(sha256: str) -> Path:
    return Path(settings.DOCUMENT_STORE_DIR) / sha256[:2] / sha256


def store_chunks(chunks: Iterable[bytes], *, max_bytes: int | None = None) -> tuple[str, int, Path]:
    """Stream bytes into the store; return (sha256, size, path). Identical content is stored once.

    Raises ``FileTooLarge`` past ``max_bytes``, and ``StorageFull`` when the volume is below its
    free-space reserve (MIN_FREE_DISK_MB) or runs out of room, without keeping anything.
    """
    root = Path(settings.DOCUMENT_STORE_DIR)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    if shutil.disk_usage(root).free < settings.MIN_FREE_DISK_MB * 1024 * 1024:
        raise StorageFull(message=f"the data volume is below its free-space reserve of "
                                  f"{settings.MIN_FREE_DISK_MB} MB; uploads resume once there is room")
    digest = hashlib.sha256()
    size = 0
    try:
        fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    except OSError as error:
        if _is_full(error):
            raise _storage_full() from None
        raise
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise FileTooLarge(message=f"the file is larger than {max_bytes // CHUNK} MB")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = path_for(sha)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.chmod(tmp_name, 0o440)
            os.replace(tmp_name, final)
        return sha, size, final
    except BaseException as error:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if _is_full(error):
            raise _storage_full() from None
        raise


def _is_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def _storage_full() -> StorageFull:
    """A full volume (or quota) is the operator's to fix: said plainly, with a 507."""
    return StorageFull(message="the data volume has no space left for this file; nothing was kept, "
                               "uploads resume once there is room")


def delete(sha256: str) -> None:
    """Remove an original (GDPR erasure). Missing files are fine: erasure is idempotent."""
    path_for(sha256).unlink(missing_ok=True)
