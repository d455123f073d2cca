"""The words of residents' files: each enum's and flag's label, translated, used by forms, pages,
spreadsheets and messages alike (one home; a label is never written twice)."""

from flask_babel import lazy_gettext as _l

from base_ops.residents.models import CaseNoteKind, Diet, SubjectType

CASE_NOTE_KIND_LABELS = {
    CaseNoteKind.TALK: _l("Talk"),  # 谈心谈话
    CaseNoteKind.COUNSELLING: _l("Counselling"),  # 心理咨询
    CaseNoteKind.JOB_GUIDANCE: _l("Job guidance"),  # 就业指导
    CaseNoteKind.EDUCATION: _l("Education"),  # 教育
    CaseNoteKind.REWARD: _l("Reward"),  # 奖励
    CaseNoteKind.BREACH: _l("Breach of rules"),  # 违纪
}
SUBJECT_TYPE_LABELS = {
    SubjectType.RELEASED: _l("Released from prison"),  # 刑满释放人员
    SubjectType.CORRECTION_ENDED: _l("Community correction ended"),  # 解除社区矫正人员
}
DIET_LABELS = {
    Diet.STANDARD: _l("Standard"),
    Diet.HALAL: _l("Halal"),  # 清真
    Diet.VEGETARIAN: _l("Vegetarian"),
    Diet.MEDICAL: _l("Medical diet"),  # 病号餐
}
SEX_LABELS = {"male": _l("Male"), "female": _l("Female")}
# Flags as the forms show them, in the order of docs/domain.md "Who is served".
FLAG_LABELS = {
    "is_homeless": _l("No home (无家可归)"),
    "has_no_relatives": _l("No relatives to go to (无亲可投)"),
    "is_unemployed": _l("No job (无业可就)"),
    "reoffend_risk": _l("Obvious tendency to reoffend"),
    "state_security": _l("Convicted of endangering state security"),
    "false_identity": _l("False name, identity or address (三假)"),
    "special_hardship": _l("Community-correction subject in special hardship"),
}
