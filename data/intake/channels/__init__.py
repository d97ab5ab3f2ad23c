"""Messaging channels (Zalo OA, Facebook Messenger, email): adapters behind one interface, listed in
``registry.py``, all handing their messages to the intake pipeline, plus the jobs that fetch chat photos
and send replies. See docs/recipes/add-a-channel.md."""
