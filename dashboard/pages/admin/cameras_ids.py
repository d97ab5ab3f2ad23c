"""The cameras admin page's component ids (/admin/cameras), for its layout and callbacks alike.

Every id starts with ``admin-cameras-``: the callback guard gives a callback to the page its output ids
name (admin only), and the browser tests find the page's parts by these ids.
"""

from __future__ import annotations

P = "admin-cameras-"
CHANGED = P + "changed"  # bumped by every write: the list, the pickers and the groups redraw
MESSAGE = P + "message"

# The list
TABLE = P + "table"
TICK = P + "tick"

# The form
PICK = P + "pick"
NEW_CAMERA = "new"  # the picker's value for "a new camera"
EDITING = P + "editing"  # {"id", "version"} of the camera in the form, or None for a new one
CODE = P + "code"
NAME = P + "name"
GROUP = P + "group"
GROUPS_LIST = P + "groups-list"  # the datalist the group field suggests from
STREAM_URL = P + "stream-url"
SUB_STREAM_URL = P + "sub-stream-url"
LAT = P + "lat"
LON = P + "lon"
ENABLED = P + "enabled"
NEW = P + "new"
TEST = P + "test"
TEST_RESULT = P + "test-result"
TEST_PICTURE = P + "test-picture"
TEST_FACTS = P + "test-facts"
SAVE = P + "save"
TOGGLE = P + "toggle"
FORM_MESSAGE = P + "form-message"

# The import
UPLOAD = P + "upload"
FILE = P + "file"
FILE_NAME = P + "file-name"
UPLOAD_LABELLED = P + "upload-labelled"
RUN = P + "run"
REPORT = P + "report"
PROBLEMS = P + "problems"

# Groups and grants
GROUP_NAME = P + "group-name"
GROUP_CREATE = P + "group-create"
GROUP_PICK = P + "group-pick"
GROUP_RENAME_TO = P + "group-rename-to"
GROUP_RENAME = P + "group-rename"
GROUP_DELETE = P + "group-delete"
GROUPS_TABLE = P + "groups-table"
GRANT_GROUP = P + "grant-group"
GRANT_AGENCY = P + "grant-agency"
GRANT_WARD = P + "grant-ward"
GRANT_ADD = P + "grant-add"
GRANT_PICK = P + "grant-pick"
GRANT_REVOKE = P + "grant-revoke"
GRANTS_TABLE = P + "grants-table"
GROUPS_MESSAGE = P + "groups-message"
