"""Publishing signed tree heads outside the database, and reading back what the witnesses saw.

Three kinds of witness, each out of reach of whoever holds the database and docintel's signing key:
- an append-only file of heads (``AUDIT_WITNESS_DIR``: a directory of its own; in production another
  mount, another owner, or WORM storage);
- syslog (``AUDIT_WITNESS_SYSLOG``), which a log collector ships off the machine;
- HTTP witnesses (``AUDIT_WITNESS_URLS``, each ``python -m audit.witness``), which cosign a head only
  after checking a consistency proof from the last head they cosigned, and refuse otherwise.

``audit_verify`` checks the log against the newest head each of them holds: a truncated or rewritten
history no longer matches, even when the attacker re-signed it with docintel's own key.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from . import tree
from .models import SignedTreeHead, WitnessCosignature

log = logging.getLogger(__name__)

HEADS_FILE = "tree-heads.jsonl"


def witness_dir() -> Path | None:
    configured = settings.AUDIT_WITNESS_DIR
    if configured.lower() == "off":
        return None
    return Path(configured) if configured else Path(settings.DATA_DIR) / "audit-witness"


def publish(heads: list[SignedTreeHead]) -> None:
    """Hand each new head to every witness. A witness that is down is logged and tried again with the
    next head; one that refuses a head is an alert (``audit.witness_refused``)."""
    for head in heads:
        _to_file(head)
        _to_syslog(head)
    if heads:
        for url in settings.AUDIT_WITNESS_URLS:
            cosign_with(url, heads[-1])  # the newest head is enough: it is proved consistent with the last


def _to_file(head: SignedTreeHead) -> None:
    directory = witness_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(directory / HEADS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="ascii") as handle:
            handle.write(json.dumps(head.as_dict(), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        log.warning("could not append the tree head to the witness file: %s", type(error).__name__)


_syslog: logging.Logger | None = None


def _to_syslog(head: SignedTreeHead) -> None:
    global _syslog
    if not settings.AUDIT_WITNESS_SYSLOG:
        return
    if _syslog is None:
        _syslog = logging.getLogger("docintel.audit.sth")
        _syslog.propagate = False
        try:
            _syslog.addHandler(logging.handlers.SysLogHandler(address=settings.AUDIT_WITNESS_SYSLOG_ADDRESS))
        except OSError as error:
            log.warning("syslog witness unavailable: %s", type(error).__name__)
    _syslog.info("docintel-audit-sth %s", json.dumps(head.as_dict(), sort_keys=True))


def _http(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    # The URL comes from settings, checked to be http(s) by docintel.checks; never from a request.
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=settings.AUDIT_WITNESS_TIMEOUT_S) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}


def witness_latest(url: str) -> dict | None:
    """The newest head a witness cosigned, or None when it has none; raises OSError when unreachable."""
    status, body = _http(url.rstrip("/") + "/latest")
    if status != 200:
        raise OSError(f"witness answered {status}")
    return body.get("sth")


def cosign_with(url: str, head: SignedTreeHead) -> WitnessCosignature | None:
    """Ask one witness to cosign ``head``, proving it consistent with the last head it cosigned."""
    try:
        last = witness_latest(url)
        old_size = last["tree_size"] if last else 0
        if old_size > head.tree_size:
            _refused(url, head, f"the witness has already cosigned a larger tree ({old_size})")
            return None
        proof = tree.consistency(old_size, head.tree_size)
        status, body = _http(url.rstrip("/") + "/cosign", {
            "sth": head.as_dict(),
            "consistency": {"old_size": old_size, "new_size": head.tree_size,
                            "path": [node.hex() for node in proof.path]}})
    except (OSError, ValueError, tree.ProofError) as error:
        log.warning("witness %s unreachable: %s", url, type(error).__name__)
        return None
    if status != 200:
        _refused(url, head, str(body.get("error", {}).get("message", f"HTTP {status}"))[:300])
        return None
    cosignature = WitnessCosignature.objects.create(
        tree_size=head.tree_size, root_hash=head.root_hash, witness=url,
        witness_key_id=str(body.get("witness_key_id", ""))[:16],
        timestamp=str(body.get("timestamp", ""))[:32],
        signature=str(body.get("signature", "")))
    return cosignature


def _refused(url: str, head: SignedTreeHead, message: str) -> None:
    from .actions import record_event  # actions -> append; witnessing is below them in nothing else

    log.error("witness %s refused the tree head at %s", url, head.tree_size)
    record_event("audit.witness_refused", purpose="integrity check", details={
        "witness": url, "tree_size": head.tree_size, "root_hash": head.root_hash, "reason": message})
    return None


def witnessed_heads() -> list[dict]:
    """The heads the witnesses hold, as ``{"source", "tree_size", "root_hash", ...}``: every head in the
    append-only file (a rewritten log appends a new root, but the old lines stay), the newest head of
    each HTTP witness. A witness that cannot be read is listed with an ``error``."""
    found: list[dict] = []
    directory = witness_dir()
    if directory is not None and (directory / HEADS_FILE).exists():
        source = f"file:{directory / HEADS_FILE}"
        found.extend({"source": source, **head} for head in _lines(directory / HEADS_FILE))
    for url in settings.AUDIT_WITNESS_URLS:
        try:
            latest = witness_latest(url)
        except (OSError, ValueError) as error:
            found.append({"source": url, "error": f"unreachable ({type(error).__name__})"})
            continue
        if latest:
            found.append({"source": url, **latest})
    return found


def _lines(path: Path) -> list[dict]:
    """Every complete head in a heads file, each distinct (size, root) once (a torn write is skipped)."""
    heads: dict[tuple, dict] = {}
    with open(path, encoding="ascii", errors="replace") as handle:
        for line in handle:
            try:
                head = json.loads(line)
                heads.setdefault((head["tree_size"], head["root_hash"]), head)
            except (ValueError, KeyError, TypeError):
                continue
    return list(heads.values())
