"""The shared ground every domain stands on: settings, errors, database, bus, jobs, text, deadlines."""
