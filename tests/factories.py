"""factory_boy factories for the models tests need most: people with roles, documents, extractions.

They write rows directly, as fixtures: what a test asserts about audited changes goes through the
actions (``upload_document``, ``store_extraction``...), never through a factory.
"""

from __future__ import annotations

import hashlib
import io

import factory
from django.contrib.auth import get_user_model

from docintel.accounts.roles import set_roles
from docintel.documents.models import Document, DocumentKind
from extraction.models import Extraction

PASSWORD = "correct horse battery staple 42"


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(role="clerk")``; ``role="none"`` (the default) signs in with no role at all."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(user, create, role, **kwargs):
        user.save()
        if role and role != "none":
            set_roles(user, {role})


class DocumentFactory(factory.django.DjangoModelFactory):
    """A parsed plain-text document (its ``sha256`` follows its text, as the store's would)."""

    class Meta:
        model = Document

    filename = "note.txt"
    kind = DocumentKind.CLINICAL_NOTE
    text = "Patient John Smith, MRN 123456, seen on 3 March 2021."
    page_offsets = factory.LazyFunction(lambda: [0])
    pages = 1
    media_type = "text/plain"
    size = factory.LazyAttribute(lambda document: len(document.text.encode()))
    sha256 = factory.LazyAttributeSequence(
        lambda document, n: hashlib.sha256(f"{n}:{document.filename}:{document.text}".encode()).hexdigest())


class ExtractionFactory(factory.django.DjangoModelFactory):
    """A stored extraction of a contract, grounded to the document's text."""

    class Meta:
        model = Extraction

    document = factory.SubFactory(DocumentFactory, kind=DocumentKind.CONTRACT, filename="msa.txt",
                                  text="This Agreement is governed by the laws of the State of New York.")
    schema_name = "contract"
    schema_version = "1"
    data = factory.LazyFunction(lambda: {"governing_law": "New York"})
    grounding = factory.LazyFunction(lambda: {"/governing_law": [{"start": 56, "end": 64}]})
    confidence = factory.LazyFunction(lambda: {"/governing_law": 0.9})
    valid = True
    model = "rules"
    text_sha256 = factory.LazyAttribute(lambda extraction: hashlib.sha256(
        extraction.document.text.encode()).hexdigest())


def make_user(role: str, username: str | None = None):
    """A user holding ``role`` (or no role: ``"none"``), password ``PASSWORD``."""
    return UserFactory(username=username or f"{role}-user", role=role)


def text_file(content: str = "Service agreement between Acme Ltd and Beta GmbH.\n", name: str = "note.txt"):
    """A small file to upload through the API or the test client."""
    handle = io.BytesIO(content.encode())
    handle.name = name
    return handle
