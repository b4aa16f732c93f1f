"""The audit log's keys: the master key that wraps per-document data keys, and the Ed25519 key that
signs tree heads. Both come from settings, or on the embedded default are generated on first use
under ``KEYS_DIR`` (back them up apart from the data, and keep them as long as the log).

Signing keys rotate (``manage.py audit_rotate_key``): every public key that ever signed is kept in
``AuditSigningKey`` and in each export's manifest, so that old tree heads and proofs still verify.
"""

from __future__ import annotations

import base64
import os
import tempfile
import time
from functools import cache, lru_cache, partial
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .canonical import key_id
from .models import AuditSigningKey, DocumentKey

NONCE_BYTES = 12


def _generated_file(name: str, make) -> bytes:
    """Read KEYS_DIR/name, creating it (mode 0600) with ``make()`` the first time; safe across processes."""
    directory = Path(settings.KEYS_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / name
    if not path.exists():
        # Written aside, then linked into place: a process starting at the same moment sees the whole
        # key or none, and the first link wins.
        fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
            os.link(partial, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(partial)
    return path.read_bytes()


@cache
def master_key() -> bytes:
    configured = settings.AUDIT_MASTER_KEY
    raw = configured.encode() if configured else _generated_file(
        "audit_master_key", lambda: base64.b64encode(AESGCM.generate_key(bit_length=256)))
    key = base64.b64decode(raw.strip())
    if len(key) != 32:
        raise ImproperlyConfigured("DOCINTEL_AUDIT_MASTER_KEY must be 32 bytes, base64-encoded")
    return key


SIGNING_KEY_FILE = "audit_signing_key.pem"


def _new_signing_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def signing_key() -> Ed25519PrivateKey:
    """The current signing key. Read again when its file changes (a rotation), so that every process
    signs with the new key from its next tree head on, without a restart."""
    if settings.AUDIT_SIGNING_KEY_FILE:
        path = Path(settings.AUDIT_SIGNING_KEY_FILE)
    else:
        _generated_file(SIGNING_KEY_FILE, _new_signing_key_pem)
        path = Path(settings.KEYS_DIR) / SIGNING_KEY_FILE
    stat = path.stat()
    return _load_signing_key(str(path), stat.st_ino, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load_signing_key(path: str, inode: int, modified_ns: int) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("DOCINTEL_AUDIT_SIGNING_KEY_FILE must hold an Ed25519 private key (PEM)")
    return key


def public_key_pem() -> str:
    return signing_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signing_key_id() -> str:
    return key_id(signing_key().public_key())


def sign(message: bytes) -> str:
    return base64.b64encode(signing_key().sign(message)).decode()


def register_signing_key() -> str:
    """Keep the current public key among the log's keys (once); returns its id."""
    kid = signing_key_id()
    if not AuditSigningKey.objects.filter(key_id=kid).exists():
        try:
            with transaction.atomic():  # a savepoint: losing the race to another process is harmless
                AuditSigningKey.objects.create(key_id=kid, pem=public_key_pem(), added=timezone.now())
        except DatabaseError:  # already there (the table is append-only: its guard refuses the copy)
            if not AuditSigningKey.objects.filter(key_id=kid).exists():
                raise
    return kid


def public_keys() -> dict[str, str]:
    """{key id: PEM} of every key that has signed tree heads, the current one included."""
    known = dict(AuditSigningKey.objects.order_by("added").values_list("key_id", "pem"))
    known.setdefault(signing_key_id(), public_key_pem())
    return known


def rotate_signing_key() -> tuple[str, str]:
    """Replace the generated signing key with a new one; returns (old id, new id). The old private key
    is destroyed (it must sign nothing more); its public key stays registered for verification."""
    if settings.AUDIT_SIGNING_KEY_FILE:
        raise ImproperlyConfigured(
            "the signing key comes from DOCINTEL_AUDIT_SIGNING_KEY_FILE: put the new key in that file, "
            "restart, and run audit_rotate_key --adopt")
    old_id = register_signing_key()
    directory = Path(settings.KEYS_DIR)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{SIGNING_KEY_FILE}-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(_new_signing_key_pem())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, directory / SIGNING_KEY_FILE)  # atomic: a reader sees the old key or the new
    return old_id, register_signing_key()


# --- Per-document data keys --------------------------------------------------------------------------
def _wrap(document_id: str, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key()).encrypt(nonce, data_key, f"docintel-dek:{document_id}".encode())


def _unwrap(document_id: str, wrapped: bytes) -> bytes:
    return AESGCM(master_key()).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                        f"docintel-dek:{document_id}".encode())


_KEY_SQL = f"SELECT wrapped_key, destroyed_at FROM {DocumentKey._meta.db_table} WHERE document_id = %s"


def document_key(document_id: str) -> bytes | None:
    """The document's data key; ``b""`` once destroyed (erased); None when it has none yet. Read with
    one plain query: it runs for every sealed event, and the ORM's query building cost more than the
    query (0.4 of 0.67 ms, measured)."""
    field = DocumentKey._meta.get_field("document_id")
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL, [field.get_db_prep_value(document_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    wrapped, destroyed_at = row
    if destroyed_at is not None or not wrapped:
        return b""
    return _unwrap(document_id, bytes(wrapped))


def create_document_key(document_id: str) -> bytes:
    """Make the document's data key, or take the one another writer made at the same moment (the
    primary key lets one win; nobody waits on a lock). ``b""`` when the document was erased meanwhile."""
    key = AESGCM.generate_key(bit_length=256)
    made = DocumentKey(document_id=document_id, wrapped_key=_wrap(document_id, key))
    DocumentKey.objects.bulk_create([made], ignore_conflicts=True)
    stored = document_key(document_id)
    return b"" if stored is None else stored


# Keys to seal new payloads with, as read in the last few seconds by this process: a document's
# inferences come in bursts, and the key's read was a round trip on a quarter of all appends (measured,
# bench/audit_bench.py). Only sealing uses them, never reading: after an erasure commits, no process can
# open a payload any more. A process may still seal with a key it read up to SEAL_KEY_CACHE_S before
# the erasure committed (the erasing process forgets it at once); such a payload is unreadable like every
# other of the document, only its details lack ``sensitive_withheld``. The same race exists without the
# cache between reading the key and committing. Keys enter the cache when the transaction that read or
# made them commits, so that a key made by a transaction that rolled back is never used.
SEAL_KEY_CACHE_S = 5.0
_SEAL_KEY_CACHE_MAX = 4096
_seal_keys: dict[str, tuple[bytes, float]] = {}


def sealing_key(document_id: str) -> bytes:
    """The key to seal a new payload of the document with (made on first use; two writers may race and
    one key wins); ``b""`` once the document was erased."""
    cached = _seal_keys.get(_cache_key(document_id))
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    key = document_key(document_id)
    if key is None:
        key = create_document_key(document_id)
    if key:
        transaction.on_commit(partial(_remember_sealing_key, document_id, key))
    return key


def _remember_sealing_key(document_id: str, key: bytes) -> None:
    if len(_seal_keys) >= _SEAL_KEY_CACHE_MAX:
        _seal_keys.clear()  # a burst over this many documents: start again rather than track ages
    _seal_keys[_cache_key(document_id)] = (key, time.monotonic() + SEAL_KEY_CACHE_S)


def _cache_key(document_id: str) -> str:
    """One spelling of a document id, whichever form of the UUID a caller passed."""
    return document_id.replace("-", "").lower()


def seal(key: bytes, document_id: str, payload: bytes) -> str:
    """base64(nonce || AES-GCM ciphertext), bound to the document id."""
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, payload, document_id.encode())).decode()


def unseal(document_id: str, token: str) -> bytes | None:
    """The clear payload, or None when the key is gone (erasure) or the ciphertext does not open."""
    key = document_key(document_id)
    if not key or not token:
        return None
    raw = base64.b64decode(token)
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], document_id.encode())
    except InvalidTag:
        return None


def destroy_document_key(document_id: str) -> None:
    """Crypto-shredding: forget the data key, so that the log's payloads of this document stay sealed.
    A tombstone row stays, so that no new key is ever made for the document."""
    _seal_keys.pop(_cache_key(document_id), None)
    # ... and again at commit: another thread of this process may have cached it meanwhile.
    transaction.on_commit(lambda: _seal_keys.pop(_cache_key(document_id), None))
    updated = DocumentKey.objects.filter(document_id=document_id).update(
        wrapped_key=None, destroyed_at=timezone.now())
    if not updated:
        DocumentKey.objects.create(document_id=document_id, wrapped_key=None, destroyed_at=timezone.now())
