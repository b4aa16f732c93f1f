"""The multi-host demonstration (deploy/multihost/demo.py) as a CI test: web, two worker hosts and model
hosts in network namespaces; a worker host (and, with two, a model host) lost mid-batch; every document
done exactly once and the audit log verifies. Slow (a few minutes): ``-m 'not drill'`` skips it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.ops.conftest import base_environment, require_drills
from tests.ops.services import ROOT, can_build_networks

pytestmark = [pytest.mark.drill, pytest.mark.timeout(900)]


def test_documents_finish_exactly_once_when_hosts_are_lost_mid_batch(test_output_dir):
    require_drills()
    if not can_build_networks():
        pytest.fail("the multi-host demonstration needs root and iproute2")
    result = subprocess.run(
        [sys.executable, "deploy/multihost/demo.py", "--documents", "3", "--model-hosts", "1",
         "--logs", str(test_output_dir / "multihost")],
        cwd=ROOT, env=base_environment(), capture_output=True, text=True, timeout=800, check=False)
    report = json.loads(result.stdout[result.stdout.index("{"):]) if "{" in result.stdout else {}
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert report["ok"] and report["problems"] == [] and report["audit_verify"] is True
    # Every stage the lost host held at the cut ran again elsewhere (exactly once: ``problems`` above).
    # Whether it held one depends on where the cut lands in its stage (they last 1-2 s here); the demo
    # says which, and the run counts only when it did.
    if not report["held_by_the_lost_host"]:
        pytest.xfail("the cut landed between two of worker1's stages: nothing was held to run again")
    assert report["stages_run_again_after_the_cut"] >= len(report["held_by_the_lost_host"])
    leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "-worker1" not in leftovers  # the demo cleaned up after itself
