"""Bản đồ (/map): the city map with every registered layer, the reports page's filters, a choropleth switch,
a ward panel, drawn selections with their export, a dark base for the wall and a day/hour playback.

State lives in the URL: the filters in the reports page's form (``FilterChoice``, so a link works on
either page) and the map's own (``MapState``: centre, zoom, shade, layers, base). ``page.layout`` reads
them; a clientside callback writes them back with ``history.replaceState`` (a ``dcc.Location`` change
would rebuild the page and the map with it). Report layers are cached answers (``data/core/cache.py``):
a filter change, a zoom or a playback step asks the database only for what it has not answered yet.

``page`` registers the page and gives Dash the callbacks of the other modules (``PageCallbacks``);
``ids`` names every component.
"""
