"""The city's sensors, vessels and press, watched and turned into alerts."""
