"""Shared kernel: model base, errors, permissions, identity, audit, API helpers."""
