"""``manage.py audit_rotate_key [--adopt] [--json]``: retire the key that signs tree heads.

The old key signs a last head over the tree as it stands; a new key is made (or, with ``--adopt``, the
one now configured in ``DOCINTEL_AUDIT_SIGNING_KEY_FILE`` is taken on), the rotation is recorded
(``audit.key_rotated``), and the new key signs the next head. Old heads, proofs and exports keep
verifying: every public key stays registered and goes into every export. Give the new public key to
each witness (``STATE/log-keys/``) before the next head reaches them.
"""

from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit import heads, keys, sequencer, witnessing
from audit.actions import record_event


class Command(BaseCommand):
    help = "Rotate the audit log's signing key; old heads and proofs stay verifiable."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--adopt", action="store_true",
                            help="register the key now in DOCINTEL_AUDIT_SIGNING_KEY_FILE as the new one")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        sequencer.integrate_now()
        known_before = set(keys.public_keys())
        with transaction.atomic():
            if options["adopt"]:
                new_id = keys.register_signing_key()
                old_ids = sorted(known_before - {new_id})
                if new_id in known_before:
                    raise CommandError("the configured key is already registered: nothing to adopt")
                old_id = old_ids[-1] if old_ids else ""
                last_old = None
            else:
                last_old = heads.sign_tree_now(reason="rotation")
                try:
                    old_id, new_id = keys.rotate_signing_key()
                except ImproperlyConfigured as error:
                    raise CommandError(str(error)) from None
            record_event("audit.key_rotated", purpose="key management",
                         details={"old_key_id": old_id, "new_key_id": new_id})
        step = sequencer.integrate_now()
        with transaction.atomic():
            first_new = heads.sign_tree_now(reason="rotation")
        witnessing.publish([head for head in (last_old, *step.heads, first_new) if head is not None])
        result = {"old_key_id": old_id, "new_key_id": new_id, "tree_size": first_new.tree_size,
                  "public_key_pem": keys.public_key_pem()}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"signing key {old_id} retired; {new_id} signs from tree size "
                              f"{first_new.tree_size}. "
                              f"Give its public key to every witness:\n{result['public_key_pem']}")
