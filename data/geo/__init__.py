"""Geography: pure geometry, administrative boundaries and their import, population, proximity."""
