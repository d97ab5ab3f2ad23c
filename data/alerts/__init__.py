"""Events and alerts with their procedures, and warnings to the public."""
