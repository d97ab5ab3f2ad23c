"""Khoá API (/admin/apikeys): create a key (shown once, only its hash kept), list the keys, revoke one
(data/accounts/apikeys.py)."""
