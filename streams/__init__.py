"""The live-video gateway: one pull per camera, relayed to every viewer over WebRTC (H.264 passthrough).

``source`` (one camera pull) → ``hub`` (who pulls what, for how long) → ``peers`` (the browsers);
``health`` and ``snapshot`` read the pulls; ``motion_watch`` holds pulls of its own and feeds
``motion`` (the pure detector); ``demo`` serves ``demo:<name>`` cameras through
``rtsp_server``; ``gateway`` is the aiohttp app that ties them together (``python -m streams``).
Imports flow ``streams -> data`` only.
"""
