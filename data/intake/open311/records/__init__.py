"""Open311 GeoReport v2 (open311.org): our categories as services, our published reports as requests.

No Flask here: plain builders of the spec's JSON shapes (and their XML twins), and the few queries
that feed them. What the public may read is decided here, once:

* only published reports are listed; asked for by its id (``requests/{id}`` or
  ``requests?service_request_id=``), an unpublished report answers its minimal record (where it
  stands: status, service, times, agency), never its text, place or photos, so the app that posted
  it can follow it at once. The id is the unguessable tracking code, which only the poster holds;
* never the reporter's name, phone, email, device or account id: records are built field by field
  from a whitelist, never by dumping a row;
* photos only when the report is published AND the photo was made public by an operator;
* notes come from the status changes of the report's history, with the text of the public answers
  only (the result of a fix, the reason of a refusal, a referral), never an operator's name.

``service_request_id`` is the tracking code (``HUE-2026-7K3M9QX``): the report is committed before
the POST answers, so no token is needed; ``GET tokens/{token}`` accepts the tracking code as token.

Where things live: ``services`` (categories as services, and what a post must carry), ``queries``
(``GET requests``' arguments and the reports they select), ``answers`` (the JSON records) and
``xml_format`` (their XML twins).
"""

from __future__ import annotations

from data.intake.open311.records.answers import (
    MINIMAL_FIELDS,
    NOTE_ACTIONS,
    PUBLIC_NOTE_TEXT,
    SPEC_URL,
    Related,
    discovery,
    errors,
    load_related,
    media_url,
    minimal_record,
    note_record,
    post_answer,
    request_record,
    request_records,
)
from data.intake.open311.records.queries import (
    CLOSED_STATUSES,
    DEFAULT_DAYS,
    DEFAULT_LIMIT,
    MAX_IDS,
    MAX_SPAN_DAYS,
    RequestQuery,
    find_request,
    find_requests,
    find_token,
    iso,
    open311_status,
    parse_query,
    parse_time,
    statuses_for,
)
from data.intake.open311.records.services import (
    ATTRIBUTES,
    NO_DESCRIPTION,
    URGENCY_ATTRIBUTE,
    attributes_from_form,
    description_for,
    public_categories,
    public_category,
    refuse_nul,
    service_definition,
    service_entry,
)
from data.intake.open311.records.xml_format import XML_ITEM, to_xml, xml_names

__all__ = [
    "ATTRIBUTES",
    "CLOSED_STATUSES",
    "DEFAULT_DAYS",
    "DEFAULT_LIMIT",
    "MAX_IDS",
    "MAX_SPAN_DAYS",
    "MINIMAL_FIELDS",
    "NOTE_ACTIONS",
    "NO_DESCRIPTION",
    "PUBLIC_NOTE_TEXT",
    "SPEC_URL",
    "URGENCY_ATTRIBUTE",
    "XML_ITEM",
    "Related",
    "RequestQuery",
    "attributes_from_form",
    "description_for",
    "discovery",
    "errors",
    "find_request",
    "find_requests",
    "find_token",
    "iso",
    "load_related",
    "media_url",
    "minimal_record",
    "note_record",
    "open311_status",
    "parse_query",
    "parse_time",
    "post_answer",
    "public_categories",
    "public_category",
    "refuse_nul",
    "request_record",
    "request_records",
    "service_definition",
    "service_entry",
    "statuses_for",
    "to_xml",
    "xml_names",
]
