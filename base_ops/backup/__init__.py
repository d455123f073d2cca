"""Backup and restore of the database and uploaded files (issue 8 item 5; docs/api.md "Command line")."""
