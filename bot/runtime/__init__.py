"""Process modes and the one composition root that builds everything from Settings."""
