"""Open311 GeoReport v2: our categories as services, our published reports as requests."""
