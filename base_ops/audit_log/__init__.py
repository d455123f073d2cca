"""The auditor's view of the audit log, and `flask audit verify`."""
