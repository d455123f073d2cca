"""Shared kernel: model base, errors, roles, permissions, the acting user, identity, audit, working days,
API helpers.

The kernel imports no domain package (tests/core/test_layers.py): the domains build on it, so what
both need (the Role enum, the CSRF-only form, the work calendar) lives here.
"""
