"""Who may reach what, in one place.

`ENDPOINT_ACCESS` maps every endpoint of the app to the roles allowed to reach
it (or PUBLIC / ANY_USER). A before-request hook enforces it for pages and API
alike, failing closed: an endpoint missing from the table answers 403, and the
route-sweep test fails. Row-level scope (which bases, which region) is applied
by the helpers in `core.scope` (regions) and `org.queries.base_ids_filter` (bases),
which every query uses.
"""

from __future__ import annotations

from base_ops.core.roles import Role

PUBLIC = "public"
ANY_USER = "any_user"

A = Role.ADMIN
AU = Role.AUDITOR
CO = Role.COUNTY_OFFICER
BM = Role.BASE_MANAGER
TR = Role.TRAINER
EN = Role.ENTERPRISE

ENDPOINT_ACCESS: dict[str, str | frozenset[Role]] = {
    # Infrastructure
    "static": PUBLIC,
    "core.healthz": PUBLIC,
    "core.set_language": PUBLIC,
    "home.index": ANY_USER,
    "api-docs.openapi_json": PUBLIC,
    # Accounts
    "accounts.login": PUBLIC,
    "accounts.login_otp": PUBLIC,
    "accounts.login_totp_setup": PUBLIC,
    "accounts.logout": ANY_USER,
    "accounts.change_password": ANY_USER,
    "accounts.reauthenticate": ANY_USER,
    "accounts.account_totp": ANY_USER,
    "accounts.account_tokens": ANY_USER,
    "accounts.revoke_own_token": ANY_USER,
    "accounts.list_users": frozenset({A}),
    "accounts.new_user": frozenset({A}),
    "accounts.edit_user": frozenset({A}),
    "accounts.reset_user_password": frozenset({A}),
    "accounts.reset_user_totp": frozenset({A}),
    "accounts.unlock_user": frozenset({A}),
    "accounts.end_user_sessions": frozenset({A}),
    "auth_api.create_token": PUBLIC,
    # Sites
    "org.list_bases": frozenset({A, CO, BM}),
    "org.base_detail": frozenset({A, CO, BM}),
    "org.new_base": frozenset({A}),
    "org.edit_base": frozenset({A}),
    "org.new_room": frozenset({A}),
    "org.new_bed": frozenset({A}),
    "org.set_bed_service": frozenset({A}),
    "org.list_regions": frozenset({A}),
    "org.dibao": frozenset({A}),
    "enterprises.list_enterprises": frozenset({A, CO}),
    "enterprises.new_enterprise": frozenset({A}),
    "reference_api.list_regions": ANY_USER,
    "reference_api.create_base": frozenset({A}),
    "reference_api.list_bases": frozenset({A, CO, BM}),
    "reference_api.get_base": frozenset({A, CO, BM}),
    "reference_api.create_room": frozenset({A}),
    "reference_api.create_bed": frozenset({A}),
    "reference_api.update_bed": frozenset({A}),
    "reference_api.list_base_beds": frozenset({A, CO, BM}),
    "reference_api.put_dibao": frozenset({A}),
    "reference_api.get_dibao": frozenset({A, CO, BM}),
    # ---- Residents (residents/): the person's file, case notes
    # (add residents.* and residents_api.* endpoints here)
    "residents.list_residents": frozenset({CO, BM}),
    "residents.resident_file": frozenset({CO, BM}),
    "residents.reveal_sensitive": frozenset({CO, BM}),
    "residents.new_resident": frozenset({BM}),
    "residents.edit_resident": frozenset({BM}),
    "residents.add_case_note": frozenset({BM}),
    "residents_api.create_resident": frozenset({BM}),
    "residents_api.list_residents": frozenset({CO, BM}),
    "residents_api.get_resident": frozenset({CO, BM}),
    "residents_api.update_resident": frozenset({BM}),
    "residents_api.list_case_notes": frozenset({CO, BM}),
    "residents_api.create_case_note": frozenset({BM}),
    "residents_api.record_reoffence": frozenset({CO, BM}),
    "residents_api.record_hardship": frozenset({CO, BM}),
    "residents.record_reoffence": frozenset({CO, BM}),
    "residents.record_hardship": frozenset({CO, BM}),
    "residents.clear_hardship": frozenset({CO, BM}),
    # ---- Release notices and the working-day calendar (intake/notices_*)
    # (add notices.* and notices_api.* endpoints here)
    "notices.list_notices": frozenset({CO, BM}),
    "notices.notice_detail": frozenset({CO, BM}),
    "notices.new_notice": frozenset({CO, BM}),
    "notices.record_feedback": frozenset({CO, BM}),
    "notices.record_collection": frozenset({CO, BM}),
    "notices.import_upload": frozenset({CO, BM}),
    "notices.import_confirm": frozenset({CO, BM}),
    "notices.import_template": frozenset({CO, BM}),
    "notices.calendar": frozenset({A}),
    "notices.set_calendar_day": frozenset({A}),
    "notices_api.create_notice": frozenset({CO, BM}),
    "notices_api.list_notices": frozenset({CO, BM}),
    "notices_api.get_notice": frozenset({CO, BM}),
    "notices_api.record_feedback": frozenset({CO, BM}),
    "notices_api.record_collection": frozenset({CO, BM}),
    "notices_api.import_template": frozenset({CO, BM}),
    # ---- Admission, stays, leave, absence, discharge (intake/stays_*)
    # (add stays.* and stays_api.* endpoints here)
    "stays.list_stays": frozenset({CO, BM}),
    "stays.stay_detail": frozenset({CO, BM}),
    "stays.admit": frozenset({BM}),
    "stays.record_leave": frozenset({BM}),
    "stays.record_absence": frozenset({BM}),
    "stays.record_return": frozenset({BM}),
    "stays.discharge": frozenset({BM}),
    "stays_api.create_stay": frozenset({BM}),
    "stays_api.list_stays": frozenset({CO, BM}),
    "stays_api.get_stay": frozenset({CO, BM}),
    "stays_api.assign_bed": frozenset({BM}),
    "stays_api.release_bed": frozenset({BM}),
    "stays_api.record_leave": frozenset({BM}),
    "stays_api.record_absence": frozenset({BM}),
    "stays_api.record_return": frozenset({BM}),
    "stays_api.discharge": frozenset({BM}),
    # ---- Bed board (beds/)
    # (add beds.* and beds_api.* endpoints here)
    "beds.board": frozenset({CO, BM}),
    "beds.assign": frozenset({BM}),
    "beds.move": frozenset({BM}),
    "beds.release": frozenset({BM}),
    "beds_api.board": frozenset({CO, BM}),
    # ---- Meals (meals/)
    # (add meals.* and meals_api.* endpoints here)
    "meals.roster": frozenset({CO, BM}),
    "meals.roster_xlsx": frozenset({CO, BM}),
    "meals.monthly_cost": frozenset({CO, BM}),
    "meals.monthly_cost_xlsx": frozenset({CO, BM}),
    "meals_api.get_meal_roster": frozenset({CO, BM}),
    # ---- Training (training/): courses, sessions, enrolment, attendance, certificates
    # (add training.* and training_api.* endpoints here)
    # Trainers reach only their own courses (scope in training.queries); attendance and
    # certificates by the course's trainer or the base's manager; county officers read.
    "training.list_courses": frozenset({CO, BM, TR}),
    "training.course_detail": frozenset({CO, BM, TR}),
    "training.new_course": frozenset({BM}),
    "training.edit_course": frozenset({BM}),
    "training.add_session": frozenset({BM, TR}),
    "training.generate_sessions": frozenset({BM, TR}),
    "training.enrol": frozenset({BM}),
    "training.withdraw": frozenset({BM}),
    "training.record_certificate": frozenset({BM, TR}),
    "training.pick_session": frozenset({BM, TR}),
    "training.attendance": frozenset({BM, TR}),
    "training.attendance_sheet": frozenset({CO, BM, TR}),
    "training.attendance_sheet_xlsx": frozenset({CO, BM, TR}),
    "training.base_summary": frozenset({CO, BM}),
    "training_api.create_course": frozenset({BM}),
    "training_api.list_courses": frozenset({CO, BM, TR}),
    "training_api.get_course": frozenset({CO, BM, TR}),
    "training_api.update_course": frozenset({BM}),
    "training_api.create_session": frozenset({BM, TR}),
    "training_api.generate_sessions": frozenset({BM, TR}),
    "training_api.list_sessions": frozenset({CO, BM, TR}),
    "training_api.create_enrolment": frozenset({BM}),
    "training_api.list_enrolments": frozenset({CO, BM, TR}),
    "training_api.withdraw_enrolment": frozenset({BM}),
    "training_api.record_certificate": frozenset({BM, TR}),
    "training_api.put_attendance": frozenset({BM, TR}),
    "training_api.get_attendance": frozenset({CO, BM, TR}),
    "training_api.get_progress": frozenset({CO, BM, TR}),
    # ---- Enterprises, agreements, postings (enterprises/) and referrals, placements (placements/)
    # (add enterprises.*, enterprises_api.*, placements.* and placements_api.* endpoints here)
    "enterprises.enterprise_detail": frozenset({A, CO}),
    "subsidies.set_enterprise_account": frozenset({A, CO}),
    "subsidies.set_base_account": frozenset({A, CO}),
    "subsidies_api.put_enterprise_payee_account": frozenset({A, CO}),
    "subsidies_api.put_base_payee_account": frozenset({A, CO}),
    "enterprises.agreement_history": frozenset({A, CO, EN}),
    "enterprises.new_agreement": frozenset({CO}),
    "enterprises.list_postings": frozenset({CO, BM, EN}),
    "enterprises.new_posting": frozenset({EN}),
    "enterprises.posting_detail": frozenset({CO, BM, EN}),
    "enterprises.open_posting": frozenset({EN}),
    "enterprises.close_posting": frozenset({EN}),
    "enterprises.list_phrases": frozenset({A}),
    "enterprises.set_phrase_active": frozenset({A}),
    "enterprises_api.create_enterprise": frozenset({A, CO}),
    "enterprises_api.list_enterprises": frozenset({A, CO, EN}),
    "enterprises_api.get_enterprise": frozenset({A, CO, EN}),
    "enterprises_api.create_agreement": frozenset({CO}),
    "enterprises_api.list_agreements": frozenset({A, CO, EN}),
    "enterprises_api.get_agreement": frozenset({A, CO, EN}),
    "enterprises_api.create_posting": frozenset({EN}),
    "enterprises_api.list_postings": frozenset({CO, BM, EN}),
    "enterprises_api.get_posting": frozenset({CO, BM, EN}),
    "enterprises_api.open_posting": frozenset({EN}),
    "enterprises_api.close_posting": frozenset({EN}),
    "placements.list_referrals": frozenset({CO, BM, EN}),
    "placements.new_referral": frozenset({BM}),
    "placements.referral_detail": frozenset({CO, BM, EN}),
    "placements.set_referral_status": frozenset({BM, EN}),
    "placements.hire": frozenset({BM, EN}),
    "placements.list_placements": frozenset({CO, BM, EN}),
    "placements.placement_detail": frozenset({CO, BM, EN}),
    "placements.cancel_placement": frozenset({BM, EN}),
    "placements.record_check": frozenset({BM, EN}),
    "placements.end_placement": frozenset({BM, EN}),
    "placements.discharge_employed": frozenset({BM}),
    "placements_api.create_referral": frozenset({BM}),
    "placements_api.list_referrals": frozenset({CO, BM, EN}),
    "placements_api.get_referral": frozenset({CO, BM, EN}),
    "placements_api.set_referral_status": frozenset({BM, EN}),
    "placements_api.create_placement": frozenset({BM, EN}),
    "placements_api.list_placements": frozenset({CO, BM, EN}),
    "placements_api.get_placement": frozenset({CO, BM, EN}),
    "placements_api.cancel_placement": frozenset({BM, EN}),
    "placements_api.create_check": frozenset({BM, EN}),
    "placements_api.end_placement": frozenset({BM, EN}),
    "placements_api.discharge": frozenset({BM}),
    "placements_api.due_checks": frozenset({CO, BM, EN}),
    # ---- Subsidy claims and payment batches (subsidies/): engine and API
    # (add subsidies_api.* endpoints here)
    "subsidies_api.create_claim": frozenset({EN, BM}),
    "subsidies_api.list_claims": frozenset({CO, BM, EN}),
    "subsidies_api.get_claim": frozenset({CO, BM, EN}),
    "subsidies_api.submit_claim": frozenset({EN, BM}),
    "subsidies_api.review_claim": frozenset({BM}),
    "subsidies_api.approve_claim": frozenset({CO}),
    "subsidies_api.reject_claim": frozenset({BM, CO}),
    "subsidies_api.pay_claim": frozenset({CO}),
    # ---- Subsidy claims and payment batches (subsidies/): pages, evidence, batches
    # (add subsidies.* endpoints here)
    # Claimants (enterprise, base manager) file and submit; the base manager reviews; the county
    # officer approves, rejects and pays in batches. Scope in subsidies.queries / batches.
    "subsidies.queue": frozenset({CO, BM, EN}),
    "subsidies.bulk_approve": frozenset({CO}),
    "subsidies.list_claims": frozenset({CO, BM, EN}),
    "subsidies.new_claim": frozenset({BM, EN}),
    "subsidies.claim_detail": frozenset({CO, BM, EN}),
    "subsidies.submit_claim": frozenset({BM, EN}),
    "subsidies.review_claim": frozenset({BM}),
    "subsidies.approve_claim": frozenset({CO}),
    "subsidies.reject_claim": frozenset({CO}),
    "subsidies.upload_evidence": frozenset({BM, EN}),
    "subsidies.download_evidence": frozenset({CO, BM, EN}),
    "subsidies.list_batches": frozenset({CO}),
    "subsidies.create_batch": frozenset({CO}),
    "subsidies.batch_detail": frozenset({CO}),
    "subsidies.pay_batch": frozenset({CO}),
    "subsidies.batch_xlsx": frozenset({CO}),
    "subsidies.reference_data": frozenset({A}),
    "subsidies.set_reason": frozenset({A}),
    # ---- Reports (reports/dashboard/views.py, reports/dashboard/api.py): dashboards, rate reports, report spreadsheets
    # (add reports.* and reports_api.* endpoints here)
    # County officers report on their region; base managers on their bases (reports/metrics/filters.py).
    "reports.index": frozenset({CO, BM}),
    "reports.people_list": frozenset({CO, BM}),
    "reports.report_xlsx": frozenset({CO, BM}),
    "reports_api.occupancy_report": frozenset({CO, BM}),
    "reports_api.placements_report": frozenset({CO, BM}),
    "reports_api.report_spreadsheet": frozenset({CO, BM}),
    # ---- Monthly reports (reports/monthly/views.py): submit, correct, who has submitted
    # Monthly reports are the county officers' (his county submits; a city or province officer reads).
    "monthly.index": frozenset({CO}),
    "monthly.month_detail": frozenset({CO}),
    "monthly.submit": frozenset({CO}),
    "monthly_api.get_monthly": frozenset({CO}),
    "monthly_api.submit_monthly": frozenset({CO}),
    # ---- Background exports (reports/exports/views.py): jobs, progress, download
    # (add exports.* endpoints here)
    # Detail exports of the people behind report numbers: county officers (their region) and base
    # managers (their bases); a job is seen by its requester only (reports/jobs.get_job).
    "exports.create_export": frozenset({CO, BM}),
    "exports.list_jobs": frozenset({CO, BM}),
    "exports.job_detail": frozenset({CO, BM}),
    "exports.job_status": frozenset({CO, BM}),
    "exports.download": frozenset({CO, BM}),
    # ---- Policies (policies/): documents by region and date; the admin enters and ends them, the people who
    # apply the rules read which document decides (docs/api.md "Policies").
    "policies.policy_list": frozenset({A, CO, BM}),
    "policies.policy_detail": frozenset({A, CO, BM}),
    "policies.new_policy": frozenset({A}),
    "policies.end_policy": frozenset({A}),
    "policies_api.create_policy": frozenset({A}),
    "policies_api.preview_policy": frozenset({A}),
    "policies_api.list_policies": frozenset({A, CO, BM}),
    "policies_api.list_keys": frozenset({A, CO, BM}),
    "policies_api.effective": frozenset({A, CO, BM}),
    "policies_api.get_policy": frozenset({A, CO, BM}),
    "policies_api.end_policy": frozenset({A}),
    # ---- Documents (documents/): PDFs scoped like the object they print (docs/api.md "Documents").
    # (documents.* and documents_api.* endpoints here)
    # Each document is open to the roles that see its object's page; the object's getter applies the scope.
    "documents.receipt": frozenset({CO, BM}),
    "documents.admission": frozenset({CO, BM}),
    "documents.resident_file": frozenset({CO, BM}),
    "documents.claim_form": frozenset({CO, BM, EN}),
    "documents.certificate": frozenset({CO, BM, TR}),
    "documents.batch_list": frozenset({CO}),
    "documents.monthly_report": frozenset({CO}),
    "documents_api.release_notice_receipt": frozenset({CO, BM}),
    "documents_api.stay_admission_form": frozenset({CO, BM}),
    "documents_api.resident_file_pdf": frozenset({CO, BM}),
    "documents_api.claim_approval_form": frozenset({CO, BM, EN}),
    "documents_api.enrolment_certificate": frozenset({CO, BM, TR}),
    "documents_api.payment_batch_list": frozenset({CO}),
    "documents_api.monthly_report_pdf": frozenset({CO}),
    # ---- Reminders (reminders/): each user's own items (docs/api.md "Reminders").
    # (reminders.* and reminders_api.* endpoints here)
    # Everyone who may be reminded of work (the sources in reminders/sources.py); each sees only his own items.
    "reminders.inbox": frozenset({CO, BM, TR, EN}),
    "reminders.dismiss": frozenset({CO, BM, TR, EN}),
    "reminders_api.list_reminders": frozenset({CO, BM, TR, EN}),
    "reminders_api.dismiss_reminder": frozenset({CO, BM, TR, EN}),
    # ---- Follow-up (followup/): contacts through the support period (docs/api.md "Follow-up").
    # (followup.* and followup_api.* endpoints here)
    # Base managers follow up the people of their bases, county officers those of their region
    # (followup/queries.py dues_in_scope).
    "followup.due_list": frozenset({CO, BM}),
    "followup.record": frozenset({CO, BM}),
    "followup_api.list_follow_ups": frozenset({CO, BM}),
    "followup_api.create_follow_up": frozenset({CO, BM}),
    "reports_api.follow_up_report": frozenset({CO, BM}),  # the follow-up rates, like the other reports
    # Audit (三权分立: the auditor reads the log and nothing else)
    "audit.list_events": frozenset({AU}),
    "audit_api.list_events": frozenset({AU}),
}


def access_for(endpoint: str | None) -> str | frozenset[Role] | None:
    if endpoint is None:
        return None
    return ENDPOINT_ACCESS.get(endpoint)


def may_access(user, endpoint: str) -> bool:
    rule = access_for(endpoint)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if rule == ANY_USER:
        return True
    return user.role in rule
