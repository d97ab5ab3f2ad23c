"""Citizens' field reports once stored: filters, queries, workflow, routing, duplicates, answers."""
