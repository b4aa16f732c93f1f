"""Backup and restore of a whole deployment: the database, the originals, and the keys, apart.

A backup directory holds ``manifest.json``, the database (``database.dump`` from pg_dump, or
``database.sqlite3`` from SQLite's online backup), ``originals/`` and ``keys/``. ``keys/`` (or the
directory given with ``--keys-to``) is meant to be stored apart from the rest, on another medium with
its own access and retention: GDPR erasure is crypto-shredding (the document's data key is destroyed),
so a store that keeps old data and old keys together keeps what erasure destroyed. ``keys/`` also
carries the list of documents erased up to the moment of the backup: a restore of older data with newer
keys erases again whatever was erased since the data was saved.

Consistency: the database is dumped first, in one snapshot (pg_dump's transaction, SQLite's backup
API); originals are written once and never change, so copying them afterwards gives every dumped row
its file (an original erased in between is listed as missing and its document is erased again at
restore).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from docintel.checks import prepare_data_dir
from docintel.errors import InputError

FORMAT = 1
DATABASE_DUMP = "database.dump"
DATABASE_SQLITE = "database.sqlite3"
KEY_FILES = ("audit_master_key", "audit_signing_key.pem", "django_secret_key")


class BackupError(InputError):
    """The backup or restore cannot go on (target not empty, a file damaged, a tool missing)."""

    default_code = "backup_failed"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    path.chmod(0o600)


def _fresh_dir(path: Path, what: str) -> Path:
    path = path.resolve()
    if path.exists() and any(path.iterdir()):
        raise BackupError("backup_dir_not_empty", f"{what} {path} is not empty; give a new directory")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def _engine() -> str:
    vendor = connections["default"].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError("unsupported_database", f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def _pg_environment() -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore: no password on the command line."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update({"PGHOST": str(db.get("HOST") or "127.0.0.1"), "PGPORT": str(db.get("PORT") or 5432),
                "PGUSER": str(db.get("USER") or ""), "PGDATABASE": str(db["NAME"])})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _run(command: list[str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError("tool_missing", f"{command[0]} is not installed (PostgreSQL client tools)")
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError("database_tool_failed", f"{what} failed: {last}")


# --- Backup ------------------------------------------------------------------------------------------
def _dump_database(directory: Path) -> dict:
    if _engine() == "postgresql":
        target = directory / DATABASE_DUMP
        # One transaction snapshot; the custom format restores with pg_restore, tables in any order.
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], "pg_dump")
    else:
        target = directory / DATABASE_SQLITE
        source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # SQLite's online backup: a consistent copy while others write
        finally:
            copy.close()
            source.close()
    target.chmod(0o600)
    return {"engine": _engine(), "file": target.name, "sha256": _sha256(target)}


def _copy_originals(directory: Path) -> dict:
    from docintel.documents.models import Document

    target = directory / "originals"
    target.mkdir(mode=0o700)
    store = Path(settings.DOCUMENT_STORE_DIR)
    copied = size = 0
    for source in sorted(store.glob("??/*")) if store.exists() else []:
        if source.name.startswith("."):  # an upload being written: not referenced by any dumped row
            continue
        destination = target / source.parent.name / source.name
        destination.parent.mkdir(exist_ok=True, mode=0o700)
        shutil.copyfile(source, destination)
        destination.chmod(0o400)
        copied += 1
        size += destination.stat().st_size
    expected = set(Document.objects.filter(erased_at=None).values_list("sha256", flat=True))
    present = {p.name for p in target.glob("??/*")}
    return {"count": copied, "bytes": size, "missing": sorted(expected - present)}


def _backup_keys(directory: Path) -> dict:
    """Key files (those generated under KEYS_DIR or named in settings) and the erasure list."""
    from audit.keys import signing_key
    from audit.models import DocumentKey

    directory = _fresh_dir(directory, "key directory")
    # Keys are made on first use: make them now, so that the backup and the data it restores agree.
    key_id = master_key_id()
    signing_key()
    files = {}
    sources = {name: Path(settings.KEYS_DIR) / name for name in KEY_FILES}
    if settings.AUDIT_SIGNING_KEY_FILE:
        sources["audit_signing_key.pem"] = Path(settings.AUDIT_SIGNING_KEY_FILE)
    for name, source in sources.items():
        if source.is_file():
            shutil.copyfile(source, directory / name)
            (directory / name).chmod(0o600)
            files[name] = _sha256(directory / name)
    configured = (("DOCINTEL_AUDIT_MASTER_KEY", settings.AUDIT_MASTER_KEY),
                  ("DOCINTEL_SECRET_KEY", os.environ.get("DOCINTEL_SECRET_KEY")))
    from_environment = [name for name, value in configured if value]
    erased = sorted(str(d) for d in DocumentKey.objects.filter(destroyed_at__isnull=False)
                    .values_list("document_id", flat=True))
    manifest = {"format": FORMAT, "created": timezone.now().isoformat(), "files": files,
                "from_environment": from_environment, "master_key_id": key_id,
                "erased_documents": erased}
    _write_json(directory / "manifest.json", manifest)
    return manifest


def master_key_id() -> str:
    from audit.keys import master_key

    return hashlib.sha256(b"docintel-master-key-id:" + master_key()).hexdigest()[:16]


@dataclass
class BackupResult:
    directory: Path
    keys_directory: Path
    manifest: dict
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"directory": str(self.directory), "keys_directory": str(self.keys_directory),
                "database": self.manifest["database"], "originals": self.manifest["originals"],
                "audit_head": self.manifest["audit_head"], "seconds": self.seconds}


def backup(directory: Path, *, keys_to: Path | None = None) -> BackupResult:
    from audit.sequencer import integrate_now
    from audit.tree import head

    started = time.monotonic()
    directory = _fresh_dir(Path(directory), "backup directory")
    integrate_now()  # the backup's tree covers every event committed before it
    tree_size, root_hash = head()
    database = _dump_database(directory)
    originals = _copy_originals(directory)
    keys_directory = Path(keys_to) if keys_to else directory / "keys"
    _backup_keys(keys_directory)
    manifest = {"format": FORMAT, "created": timezone.now().isoformat(), "database": database,
                "originals": originals, "audit_head": {"tree_size": tree_size, "root_hash": root_hash},
                "keys": "keys/" if keys_to is None else "stored apart"}
    _write_json(directory / "manifest.json", manifest)
    return BackupResult(directory, keys_directory.resolve(), manifest, round(time.monotonic() - started, 2))


# --- Restore -----------------------------------------------------------------------------------------
def _read_manifest(path: Path, what: str) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("not_a_backup", f"{path} holds no readable {what} manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("not_a_backup", f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def _database_is_empty() -> bool:
    connection = connections["default"]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _check_targets_empty() -> None:
    if not _database_is_empty():
        raise BackupError("target_not_empty", "the database already has tables; restore needs an empty one")
    store = Path(settings.DOCUMENT_STORE_DIR)
    if store.exists() and any(store.iterdir()):
        raise BackupError("target_not_empty", f"{store} is not empty; restore needs an empty data dir")
    for name in KEY_FILES[:2]:
        if (Path(settings.KEYS_DIR) / name).exists():
            raise BackupError("target_not_empty", f"{settings.KEYS_DIR} already holds keys")


def _load_database(directory: Path, manifest: dict) -> None:
    database = manifest["database"]
    source = directory / database["file"]
    if not source.is_file() or _sha256(source) != database["sha256"]:
        raise BackupError("backup_damaged", f"{source.name} is missing or does not match its checksum")
    if database["engine"] != _engine():
        raise BackupError("wrong_engine", f"the backup is of {database['engine']}, the target is {_engine()}")
    connections.close_all()
    if database["engine"] == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={settings.DATABASES['default']['NAME']}", str(source)], "pg_restore")
    else:
        target = Path(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(str(target))
        loaded = sqlite3.connect(str(source))
        try:
            loaded.backup(copy)
        finally:
            loaded.close()
            copy.close()
        target.chmod(0o600)


def _restore_originals(directory: Path) -> int:
    store = Path(settings.DOCUMENT_STORE_DIR)
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    count = 0
    for source in sorted((directory / "originals").glob("??/*")):
        if _sha256(source) != source.name:
            raise BackupError("backup_damaged", f"original {source.name} does not match its content hash")
        destination = store / source.parent.name / source.name
        destination.parent.mkdir(exist_ok=True, mode=0o700)
        shutil.copyfile(source, destination)
        destination.chmod(0o440)
        count += 1
    return count


def _restore_keys(keys_directory: Path) -> dict:
    manifest = _read_manifest(keys_directory, "key")
    target = Path(settings.KEYS_DIR)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, digest in manifest["files"].items():
        source = keys_directory / name
        if not source.is_file() or _sha256(source) != digest:
            raise BackupError("backup_damaged", f"key file {name} is missing or does not match its checksum")
        if name == "audit_signing_key.pem" and settings.AUDIT_SIGNING_KEY_FILE:
            continue  # the deployment names its own signing key file; it is checked by audit_verify
        shutil.copyfile(source, target / name)
        (target / name).chmod(0o600)
    from audit import keys

    keys.master_key.cache_clear()  # the signing key is read again by itself when its file changes
    if master_key_id() != manifest["master_key_id"]:
        raise BackupError("wrong_master_key", "the audit master key in use is not the one of the backup "
                                              "(DOCINTEL_AUDIT_MASTER_KEY must be the backed-up key)")
    return manifest


def _erase_again(erased_ids: list[str]) -> int:
    """Documents erased by the time the keys were saved but present in the restored data."""
    from docintel.documents.erasure import erase_document
    from docintel.documents.models import Document

    again = 0
    for document in Document.objects.filter(pk__in=erased_ids, erased_at=None):
        erase_document(document, actor=None, reason="erased before this backup was restored; erased again")
        again += 1
    return again


def _sample_reads(sample: int) -> dict:
    """Read back a random sample of documents: the original's bytes against their hash, and the
    document's data key (so the master key really opens what the log encrypted)."""
    from audit.keys import document_key
    from docintel.documents import storage
    from docintel.documents.models import Document

    ids = list(Document.objects.filter(erased_at=None).values_list("pk", flat=True))
    checked, problems = 0, []
    for pk in random.sample(ids, min(sample, len(ids))):
        document = Document.objects.get(pk=pk)
        path = storage.path_for(document.sha256)
        if not path.is_file() or _sha256(path) != document.sha256:
            problems.append(f"{pk}: original missing or damaged")
            continue
        try:
            document_key(str(pk))
        except Exception as error:
            problems.append(f"{pk}: data key does not open ({type(error).__name__})")
            continue
        checked += 1
    return {"checked": checked, "problems": problems}


@dataclass
class RestoreResult:
    documents: int = 0
    originals: int = 0
    erased_again: int = 0
    audit: dict = field(default_factory=dict)
    reads: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.audit.get("ok")) and not self.reads.get("problems")

    def as_dict(self) -> dict:
        return {"ok": self.ok, "documents": self.documents, "originals": self.originals,
                "erased_again": self.erased_again, "audit": self.audit, "reads": self.reads,
                "seconds": self.seconds}


def restore(directory: Path, *, keys_from: Path | None = None, sample: int = 20) -> RestoreResult:
    from django.core.management import call_command

    from audit.actions import record_event
    from audit.sequencer import integrate_now
    from audit.verify import verify_log
    from docintel.documents.models import Document

    started = time.monotonic()
    directory = Path(directory).resolve()
    manifest = _read_manifest(directory, "backup")
    keys_directory = Path(keys_from).resolve() if keys_from else directory / "keys"
    _read_manifest(keys_directory, "key")  # fail before touching anything when the keys are not there
    # A restore often starts on a new machine: make the data dir (or repair it) owner-only, as
    # init_data_dir does, before anything is written into it or SQLite creates its database file.
    prepare_data_dir(settings.DATA_DIR, settings.KEYS_DIR, settings.SECRET_KEY_FILE)
    _check_targets_empty()
    _load_database(directory, manifest)
    result = RestoreResult()
    result.originals = _restore_originals(directory)
    key_manifest = _restore_keys(keys_directory)
    connections.close_all()
    # A newer docintel may restore an older backup: bring the schema up to date.
    call_command("migrate", interactive=False, verbosity=0)
    result.erased_again = _erase_again(key_manifest.get("erased_documents", []))
    integrate_now(full=True)
    verification = verify_log()
    result.audit = verification.as_dict()
    result.reads = _sample_reads(sample)
    result.documents = Document.objects.count()
    if result.ok:
        record_event("backup.restored", actor=None, purpose="operations", details={
            "backup_created": manifest["created"], "audit_head": manifest["audit_head"],
            "documents": result.documents, "originals": result.originals,
            "erased_again": result.erased_again, "reads_checked": result.reads["checked"]})
    result.seconds = round(time.monotonic() - started, 2)
    return result
