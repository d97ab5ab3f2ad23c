"""Quản trị (/admin): the admins' pages, one package each, all behind the ``admin`` role.

``page`` is the landing page and lists the others (``SECTIONS``); ``common`` holds what they share:
who is acting (for the audit log) and how an outcome is shown. Every component id starts with
``admin-``, so the callback guard gives each callback to the ``admin`` role (data.accounts.users.PAGE_ROLES).
"""
