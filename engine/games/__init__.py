"""Game-playing code that runs beside the rules: bots for each game kind."""
