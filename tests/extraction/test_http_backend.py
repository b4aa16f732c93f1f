"""The OpenAI-compatible backend against a faithful fake of vLLM's edge cases and against a real
llama.cpp server. Whatever the server sends, what comes out is schema-valid or clearly refused."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from docintel.errors import ServiceUnavailable
from extraction.backends.openai_http import ModelRequestRejected, OpenAIBackend
from extraction.chunking import Chunk
from extraction.extractor import SOURCE_WEIGHT, extract
from extraction.inference import Audience, infer
from extraction.rules import propose
from extraction.schemas import SchemaRef, get_schema
from tests.extraction.conftest import SHORT_CONTRACT, FakeVLLM, free_port

pytestmark = pytest.mark.django_db

CONTRACT = get_schema("contract")
ANSWER = {**CONTRACT.empty(), "document_name": "MASTER SERVICES AGREEMENT", "agreement_date": "2021-03-03",
          "parties": [{"name": "Acme Analytics, Inc.", "role": "Provider"},
                      {"name": "Northwind Health LLC", "role": "Customer"}],
          "governing_law": "New York"}
GOOD = (200, json.dumps(ANSWER), "stop")


def backend_for(url: str, **kwargs) -> OpenAIBackend:
    options = {"timeout_s": 5, "max_retries": 2, "backoff_s": 0.01, **kwargs}
    return OpenAIBackend(url, "qwen3-4b", max_prompt_chars=20000, **options)


def ask(backend) -> object:
    chunk = Chunk(0, 0, len(SHORT_CONTRACT), "head")
    return infer(backend, CONTRACT, SHORT_CONTRACT, chunk, parts=1, audience=Audience())


def test_structured_output_is_requested_the_current_way(fake_vllm):
    fake_vllm.reply(GOOD)
    answer = ask(backend_for(fake_vllm.url))
    assert answer.valid and answer.data == ANSWER and answer.repairs == []
    request = fake_vllm.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"] == CONTRACT.schema
    assert "guided_json" not in request
    # Prefix caching: the fixed system prompt and the schema come first, the document last.
    system, user = request["messages"]
    assert json.dumps(CONTRACT.schema, separators=(",", ":"), sort_keys=True) in system["content"]
    assert user["content"].rstrip().endswith("JSON:") and SHORT_CONTRACT in user["content"]


@pytest.mark.parametrize(("first", "repairs"), [
    # The server ignored the structure request (as vLLM does with guided_json): prose around the JSON.
    ((200, "Sure! Here is the JSON:\n```json\n" + json.dumps(ANSWER) + "\n```", "stop"),
     ["strip_fences", "first_object"]),
    # Valid JSON that breaks the schema: re-asked once.
    ((200, json.dumps({**ANSWER, "agreement_date": "March 3, 2021"}), "stop"), ["re_asked"]),
    # Cut at max_tokens: closed at its last complete value, missing facts filled as null/[].
    ((200, json.dumps(ANSWER)[:json.dumps(ANSWER).index('"effective_date"') + 12], "length"),
     ["close_truncated", "filled_missing"]),
    ((200, "", "stop"), ["re_asked"]),  # empty content
    ((200, None, "stop"), ["re_asked"]),  # no content at all
    ((200, "{not json", "stop"), ["re_asked"]),
])
def test_broken_answers_are_repaired_or_re_asked(fake_vllm, first, repairs):
    fake_vllm.reply(first, GOOD)
    answer = ask(backend_for(fake_vllm.url))
    assert answer.valid, answer.problems
    assert set(repairs) <= set(answer.repairs), answer.repairs
    assert not CONTRACT.errors(answer.data)


def test_an_answer_still_broken_after_the_re_ask_is_invalid_not_guessed(fake_vllm):
    fake_vllm.reply((200, "no JSON here", "stop"))
    answer = ask(backend_for(fake_vllm.url))
    assert not answer.valid and answer.data is None and len(answer.calls) == 2


def test_server_errors_are_retried_with_backoff(fake_vllm):
    fake_vllm.reply((500, None, ""), (503, None, ""), GOOD)
    assert ask(backend_for(fake_vllm.url)).valid
    assert len(fake_vllm.requests) == 3


def test_persistent_server_errors_give_a_clear_retryable_error(fake_vllm):
    fake_vllm.reply((500, None, ""))
    with pytest.raises(ServiceUnavailable) as error:
        ask(backend_for(fake_vllm.url, max_retries=1))
    assert error.value.code == "model_server_unavailable" and error.value.retryable
    assert "127.0.0.1" in error.value.message and "HTTP 500" in error.value.message


def test_a_server_that_only_knows_json_object_is_asked_in_its_own_form(fake_vllm):
    refused = json.dumps({"detail": [{"loc": ["body", "response_format", "type"],
                                      "msg": "Input should be 'text' or 'json_object'"}]})
    fake_vllm.reply((422, refused, ""), GOOD, GOOD)
    backend = backend_for(fake_vllm.url)
    assert ask(backend).valid and ask(backend).valid
    formats = [r["response_format"]["type"] for r in fake_vllm.requests]
    assert formats == ["json_schema", "json_object", "json_object"]  # remembered, not re-tried
    assert fake_vllm.requests[1]["response_format"]["schema"] == CONTRACT.schema


def test_a_server_with_a_small_context_gets_smaller_chunks(fake_vllm):
    too_long = json.dumps({"error": {"message": "This model's maximum context length is 2048 tokens. "
                                                "However, you requested 9000 tokens.",
                                     "code": "context_length_exceeded"}})
    fake_vllm.reply((400, too_long, ""), GOOD)
    backend = backend_for(fake_vllm.url)
    backend.max_prompt_chars = 4000
    result = extract(SHORT_CONTRACT * 3, CONTRACT, mode="model", backend=backend)
    assert result.valid and backend.max_prompt_chars == 2000
    assert any(step.get("prompt_too_long") for step in result.route["steps"])
    assert len(fake_vllm.requests[-1]["messages"][-1]["content"]) < 2600


def test_a_refused_request_is_not_retried(fake_vllm):
    fake_vllm.reply((400, None, ""))
    with pytest.raises(ModelRequestRejected):
        ask(backend_for(fake_vllm.url))
    assert len(fake_vllm.requests) == 1


def test_server_down_fails_clearly_then_succeeds_once_it_is_back():
    port = free_port()
    backend = backend_for(f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(ServiceUnavailable) as error:
        ask(backend)
    assert error.value.code == "model_server_unavailable"
    assert "could not be reached" in error.value.message
    fake = FakeVLLM(port).reply(GOOD).start()
    try:
        assert ask(backend).valid
    finally:
        fake.stop()


def test_every_call_writes_one_inference_event_with_hashes_not_text(fake_vllm):
    fake_vllm.reply((200, "garbage", "stop"), GOOD)
    before = AuditEvent.objects.filter(action="model.inference").count()
    ask(backend_for(fake_vllm.url))
    events = list(AuditEvent.objects.filter(action="model.inference").order_by("seq"))[before:]
    assert len(events) == 2  # the answer and the re-ask
    details = events[-1].details_dict
    for key in ("model", "model_version", "backend", "backend_url_name", "schema_id", "schema_version",
                "prompt_template_hash", "input_sha256", "output_sha256", "prompt_tokens", "completion_tokens",
                "latency_ms", "escalated", "escalation_reason", "route"):
        assert key in details, key
    assert details["backend_url_name"] == "127.0.0.1" and details["schema_id"] == "contract"
    assert "Acme" not in events[-1].details and "Northwind" not in events[-1].details


@pytest.mark.llm
def test_against_a_real_llama_cpp_server(llama_server):
    # A small schema keeps the answer short: two CPU cores are shared by the whole team.
    small = SchemaRef("agreement", "1", {
        "title": "agreement", "type": "object", "additionalProperties": False,
        "properties": {"document_name": {"type": ["string", "null"]},
                       "parties": {"type": "array", "maxItems": 2, "items": {"type": "string"}}},
        "required": ["document_name", "parties"]})
    backend = backend_for(llama_server, timeout_s=600, max_retries=0)
    backend.max_tokens = 120
    result = extract(SHORT_CONTRACT, small, mode="model", backend=backend)
    assert result.valid and not small.errors(result.data)
    assert backend.format_style == "json_object"  # llama.cpp's server refused json_schema; asked its way
    steps = [s for s in result.route["steps"] if s["source"].startswith("model")]
    assert steps and all(s["prompt_tokens"] > 0 for s in steps)
    for pointer, spans in result.grounding.items():
        assert spans and pointer not in result.ungrounded


def test_asking_open_fields_only_leaves_settled_ones_and_clause_keys_out(fake_vllm, settings):
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = True
    # Without its governing-law sentence, the rules leave governing_law open; the scalars they settle.
    text = SHORT_CONTRACT[:SHORT_CONTRACT.index("5. Governing Law.")] + \
        "5. Law. The laws of the State of New York apply to this Agreement.\n"
    fake_vllm.reply(GOOD)  # a server that ignores the schema answers every field: the extras are dropped
    result = extract(text, CONTRACT, mode="hybrid", backend=backend_for(fake_vllm.url))
    asked = fake_vllm.requests[0]["response_format"]["json_schema"]["schema"]
    assert "governing_law" in asked["properties"]  # open
    assert "parties" not in asked["properties"]  # a list the rules placed item by item
    assert {"agreement_date", "expiration_date"}.isdisjoint(asked["properties"])  # the rules placed them
    assert "liability_cap" not in asked["properties"]  # a clause key: the clause review fills it
    assert asked["required"] == list(asked["properties"])
    model_steps = [step for step in result.route["steps"] if step["source"].startswith("model")]
    assert model_steps and all(step["valid"] and "dropped_unasked" in step["repairs"] for step in model_steps)
    assert result.valid and result.data["governing_law"] == "New York"  # the model's, grounded
    assert result.data["agreement_date"] == "2021-03-03" and result.data["renewal_term"]


def test_asking_open_fields_only_asks_for_the_parties_when_the_rules_found_none(fake_vllm, settings):
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = True
    # A preamble that names its parties by role only: the rules place none, so the model is asked.
    start = SHORT_CONTRACT.index("This ")
    end = SHORT_CONTRACT.index("\n", start)
    text = SHORT_CONTRACT[:start] + "This Agreement is made by the Licensor and the Licensee." \
        + SHORT_CONTRACT[end:]
    fake_vllm.reply(GOOD)
    result = extract(text, CONTRACT, mode="hybrid", backend=backend_for(fake_vllm.url))
    assert not propose("contract", text, CONTRACT.empty()).data["parties"]
    asked = fake_vllm.requests[0]["response_format"]["json_schema"]["schema"]
    assert "parties" in asked["properties"]
    assert result.valid


def test_asking_open_fields_only_skips_the_model_when_nothing_is_left_open(fake_vllm, settings):
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = True
    # The contract schema without its one list: the rules and the clause review settle every field.
    properties = {k: v for k, v in CONTRACT.schema["properties"].items() if k != "parties"}
    no_lists = SchemaRef(CONTRACT.name, CONTRACT.version,
                         {**CONTRACT.schema, "properties": properties, "required": list(properties)})
    result = extract(SHORT_CONTRACT, no_lists, mode="hybrid", backend=backend_for(fake_vllm.url))
    assert fake_vllm.requests == []
    assert {"source": "model", "skipped": "settled_by_rules"} in result.route["steps"]
    assert result.valid and result.data["governing_law"] == "New York"
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = False  # every field, every time (the earlier default)
    fake_vllm.reply(GOOD)
    extract(SHORT_CONTRACT, CONTRACT, mode="hybrid", backend=backend_for(fake_vllm.url))
    assert fake_vllm.requests[0]["response_format"]["json_schema"]["schema"] == CONTRACT.schema


def test_an_expiration_the_rules_computed_outranks_a_model_date_but_stays_flagged(fake_vllm):
    # The rules work the expiration out from the start and the stated term (the text states no such
    # date); a model that grounds some other date of the text as the expiration does not displace it.
    text = ("SUPPLY AGREEMENT\nThis Supply Agreement is entered into as of January 22, 2007 (the "
            "\u201cEffective Date\u201d) by and between Alpha LLC (\u201cAlpha\u201d) and Beta Corp. "
            "(\u201cBeta\u201d).\n2. Term. This agreement is for a term of ten (10) years.\n"
            "3. Notices. Notices sent before March 1, 2007 go to the addresses above.\n")
    fake_vllm.reply((200, json.dumps({**ANSWER, "expiration_date": "2007-03-01"}), "stop"))
    result = extract(text, CONTRACT, mode="hybrid", backend=backend_for(fake_vllm.url))
    assert result.data["expiration_date"] == "2017-01-22"
    assert "/expiration_date" in result.ungrounded and "/expiration_date" not in result.grounding
    assert SOURCE_WEIGHT["model"] < result.confidence["/expiration_date"] < SOURCE_WEIGHT["rules"]
