"""MIES Conecta: the citizen-communication bot of Ecuador's social ministry."""

__version__ = "0.1.0"
