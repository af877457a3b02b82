"""bitesearch: turn the recordings of a talk series into a searchable, citable archive."""

__version__ = "0.1.0"
