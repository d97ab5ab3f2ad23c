"""KPI values in: the long template, national statistics adapters and pulled feeds."""
