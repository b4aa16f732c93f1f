"""The embedded default: SmolLM2-135M through llama.cpp, verified before loading, loaded once."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from docintel.errors import ServiceUnavailable
from extraction.backends import get_backend
from extraction.backends.embedded import GGUF_SHA256, EmbeddedBackend, model_path, verify
from extraction.evaluation import grounding_check
from extraction.export import result_record
from extraction.extractor import extract
from extraction.schemas import get_schema
from tests.extraction.conftest import SHORT_CONTRACT


def test_the_packaged_model_file_is_the_pinned_one():
    path = model_path()
    assert path.name.endswith(".gguf") and "site-packages" in str(path)
    verify(path, GGUF_SHA256)


def test_a_model_file_that_does_not_match_its_hash_is_refused(tmp_path):
    forged = tmp_path / "model.gguf"
    forged.write_bytes(b"GGUF" + b"\0" * 1024)
    with pytest.raises(ServiceUnavailable) as error:
        verify(forged)
    assert error.value.code == "embedded_model_mismatch"
    with pytest.raises(ServiceUnavailable) as missing:
        verify(tmp_path / "absent.gguf")
    assert missing.value.code == "embedded_model_missing"


@pytest.mark.llm
@pytest.mark.django_db
def test_embedded_model_extracts_a_contract_valid_and_grounded(settings):
    settings.LLM_URL = ""
    # The rules settle every field of this short contract, and by default the model is then not asked
    # (tests/extraction/test_http_backend.py checks that): here every field is asked, to run the model.
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = False
    backend = get_backend()
    assert isinstance(backend, EmbeddedBackend) and get_backend() is backend  # loaded once per process
    contract = get_schema("contract")
    before = AuditEvent.objects.filter(action="model.inference").count()
    result = extract(SHORT_CONTRACT, contract, mode="hybrid", backend=backend)
    record = result_record("short", result)
    assert record["valid"] and not contract.errors(record["data"])
    good, total = grounding_check(record, contract.schema, SHORT_CONTRACT)
    assert total and good == total  # grounding precision 100%
    calls = sum(step["calls"] for step in result.route["steps"] if step["source"].startswith("model"))
    assert calls >= 1
    assert AuditEvent.objects.filter(action="model.inference").count() - before == calls
    event = AuditEvent.objects.filter(action="model.inference").order_by("-seq").first()
    details = event.details_dict
    assert details["backend"] == "embedded" and details["model_version"] == GGUF_SHA256[:12]
    assert event.document_id is None and not event.sensitive  # a file, not a document: hashes only
    # The deterministic extractors carry the facts the tiny model misses.
    assert record["data"]["governing_law"] == "New York"
    assert record["data"]["agreement_date"] == "2021-03-03"
