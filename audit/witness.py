"""A witness: ``python -m audit.witness --state DIR [--port 8790] [--bind 127.0.0.1]``.

A small stand-alone HTTP service (standard library and ``cryptography``; no Django, no database), run
by someone other than docintel's operator, ideally on another machine. It keeps the last tree head it
cosigned and signs a new one only when

1. the head's signature verifies with one of the log's public keys (PEM files in ``DIR/log-keys/``:
   add the new key there when the log rotates its key), and
2. a consistency proof shows the new tree extends the last one it cosigned (same size: same root).

Anything else is refused (HTTP 409) and the last cosigned head stays. So a log that was truncated or
rewritten cannot get a cosignature any more, and ``audit_verify`` compares the log against the head
this witness holds (``GET /latest``).

    GET  /latest      -> {"sth": {...} | null, "cosignature": {...} | null}
    GET  /public-key  -> {"key_id", "pem"}
    POST /cosign      {"sth": {...}, "consistency": {"old_size", "new_size", "path": [hex...]}}
                      -> 200 {"witness_key_id", "timestamp", "signature"} | 409 {"error": {...}}

The witness's own Ed25519 key is made on first start in ``DIR/witness_key.pem``; its cosigned heads are
appended to ``DIR/cosigned.jsonl`` (fsync'd before it answers).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import merkle
from audit.canonical import cosign_message, key_id, public_keys_by_id, sth_signature_valid

MAX_BODY = 64 * 1024


class Refused(Exception):
    pass


class Witness:
    def __init__(self, state: Path) -> None:
        self.state = state
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        (state / "log-keys").mkdir(exist_ok=True, mode=0o700)
        key_file = state / "witness_key.pem"
        if not key_file.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SystemExit(f"{key_file} is not an Ed25519 private key")
        self.key = key
        self.key_id = key_id(key.public_key())
        self.lock = threading.Lock()
        self.latest: dict | None = None
        self.latest_cosignature: dict | None = None
        cosigned = state / "cosigned.jsonl"
        if cosigned.exists():
            for line in cosigned.read_text(encoding="ascii").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a torn last write: the line before it stands
                self.latest, self.latest_cosignature = entry["sth"], entry["cosignature"]

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def log_keys(self) -> dict:
        files = sorted((self.state / "log-keys").glob("*.pem"))
        return public_keys_by_id(path.read_bytes() for path in files)

    def cosign(self, body: dict) -> dict:
        sth, consistency = body.get("sth"), body.get("consistency") or {}
        if not isinstance(sth, dict):
            raise Refused("no tree head")
        try:
            size, root = int(sth["tree_size"]), bytes.fromhex(sth["root_hash"])
            path = [bytes.fromhex(node) for node in consistency.get("path", [])]
        except (KeyError, TypeError, ValueError):
            raise Refused("malformed tree head or proof") from None
        known = self.log_keys()
        if sth.get("key_id") not in known or not sth_signature_valid(sth, known[sth["key_id"]]):
            raise Refused("the tree head is not signed by a key of this log")
        with self.lock:
            last = self.latest
            if last is not None:
                old_size, old_root = int(last["tree_size"]), bytes.fromhex(last["root_hash"])
                if size < old_size:
                    raise Refused(f"the tree shrank: {size} leaves after {old_size} were cosigned")
                proved = (int(consistency.get("old_size", -1)), int(consistency.get("new_size", -1)))
                if proved != (old_size, size):
                    raise Refused(f"the proof must run from the last cosigned size {old_size} to {size}")
                if not merkle.consistency_valid(old_size, size, old_root, root, path):
                    raise Refused(f"the tree at {size} is not consistent with the one cosigned at {old_size}")
            timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            signed = {name: sth[name]
                      for name in ("tree_size", "root_hash", "timestamp", "key_id", "signature")}
            cosignature = {"witness_key_id": self.key_id, "timestamp": timestamp,
                           "signature": base64.b64encode(self.key.sign(
                               cosign_message(signed, self.key_id, timestamp))).decode()}
            descriptor = os.open(self.state / "cosigned.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "a", encoding="ascii") as handle:
                handle.write(json.dumps({"sth": signed, "cosignature": cosignature}, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self.latest, self.latest_cosignature = signed, cosignature
            return cosignature


def handler_for(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "docintel-witness"

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/latest":
                self._answer(200, {"sth": witness.latest, "cosignature": witness.latest_cosignature})
            elif self.path == "/public-key":
                self._answer(200, {"key_id": witness.key_id, "pem": witness.public_pem()})
            else:
                self._answer(404, {"error": {"code": "not_found", "message": "GET /latest or /public-key"}})

        def do_POST(self) -> None:
            if self.path != "/cosign":
                self._answer(404, {"error": {"code": "not_found", "message": "POST /cosign"}})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                if not 0 < length <= MAX_BODY:
                    raise Refused(f"the body must be 1 to {MAX_BODY} bytes")
                body = json.loads(self.rfile.read(length))
                if not isinstance(body, dict):
                    raise Refused("the body must be a JSON object")
                self._answer(200, witness.cosign(body))
            except Refused as refusal:
                self._answer(409, {"error": {"code": "refused", "message": str(refusal)}})
            except ValueError:
                self._answer(400, {"error": {"code": "bad_request", "message": "the body is not JSON"}})

        def log_message(self, format: str, *args) -> None:
            return

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.witness", description=__doc__.split("\n")[0])
    parser.add_argument("--state", type=Path, required=True, help="the witness's own directory")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--log-key", type=Path, action="append", default=[],
                        help="a public key of the log (PEM), copied into STATE/log-keys/")
    args = parser.parse_args(argv)
    witness = Witness(args.state)
    for pem in args.log_key:
        data = pem.read_bytes()
        public_keys_by_id([data])  # refuse a file that is not an Ed25519 public key, before serving
        (args.state / "log-keys" / pem.name).write_bytes(data)
    server = ThreadingHTTPServer((args.bind, args.port), handler_for(witness))
    print(json.dumps({"witness_key_id": witness.key_id, "listening": f"{args.bind}:{server.server_port}"}),
          flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
