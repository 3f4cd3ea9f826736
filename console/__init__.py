"""rolldeck's Textual console."""
