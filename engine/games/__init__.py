"""Game-specific code beyond the pure rules: bots and the like."""
