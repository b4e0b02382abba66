"""Accounts: users, the companies and providers they belong to, API tokens."""
