"""Game-playing code that runs beside the rules: bots."""
