"""The words documents print: each domain's own labels, gathered once for the templates (docs/architecture.md
rule 12: one home per concept; nothing is labelled here that a domain already labels)."""

from __future__ import annotations

from base_ops.intake.vocabulary import DESTINATION_LABELS
from base_ops.reports.vocabulary import SECTION_LABELS
from base_ops.residents.vocabulary import CASE_NOTE_KIND_LABELS, FLAG_LABELS, SEX_LABELS, SUBJECT_TYPE_LABELS
from base_ops.subsidies.vocabulary import KIND_LABELS, STATUS_LABELS
from base_ops.training.vocabulary import ENROLMENT_STATUS_LABELS


def labels() -> dict:
    """The label tables every document template may use."""
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "sex_labels": SEX_LABELS,
            "subject_labels": SUBJECT_TYPE_LABELS, "flag_labels": FLAG_LABELS, "destination_labels": DESTINATION_LABELS,
            "section_labels": SECTION_LABELS, "note_kind_labels": CASE_NOTE_KIND_LABELS,
            "enrolment_labels": ENROLMENT_STATUS_LABELS}
