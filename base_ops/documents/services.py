"""Printing a document is a view of the person's data: each print leaves an audit row (docs/security.md "Audit")."""

from __future__ import annotations

from base_ops.core import audit
from base_ops.core.unit_of_work import use_case
from base_ops.documents.queries import Document


@use_case
def record_document_view(actor, document: Document, via: str = "page") -> Document:
    """Audit the print of a document with its kind and number, on the object it prints (document_printed)."""
    audit.record(actor, "document_printed", document.obj, document=document.kind, number=document.number, via=via)
    return document
