"""Accounts: users, roles and scopes, login, second factor, API tokens."""
