"""Tài khoản (/admin/users): the accounts, a form to create one (its one-time password shown once), and a
panel to edit one, (de)activate it or reset its password, each change checked against the version the
admin saw (data/accounts/user_admin.py). ``fields`` lists the form's fields: one line per field.
"""
