"""Cameras as the city runs them: groups and who may watch them, the admin's changes, bulk import, audited views.

``urls`` checks and masks stream URLs (their passwords never reach a browser), ``access`` is the one
check of who may watch which camera (web, map, wall and gateway all ask it), ``groups`` holds the groups
and their grants, ``editing`` the admin's changes (each audited with before and after), ``bulk`` the CSV
or Excel import, ``listing`` what the pages show, and ``views`` the audit of every view and snapshot.
"""
