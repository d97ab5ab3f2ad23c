"""Messaging channels (Zalo OA, Facebook Messenger, email): adapters behind one interface, all
handing their messages to the intake pipeline, plus the jobs that fetch chat photos and send replies."""
