"""Phản ánh (/reports): every report in a server-side paged grid, its filters in the URL, a detail panel with
the report's history and actions, charts of the filtered set, and its export to CSV / Excel.

The filters' one form is the URL query string (``ReportFilter.from_query``): the page reads it in
``page.layout``, a clientside callback writes it back with ``history.replaceState`` (a ``dcc.Location``
change would rebuild the page) and the grid, the charts and the export links all use it. What a
user may see is decided on the server (``ReportFilter.seen_by``, ``workflow.visible_reports``).

``page`` registers the page and gives Dash the callbacks of the other modules (``PageCallbacks``);
``ids`` names every component.
"""
