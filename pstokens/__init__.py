"""pstokens: PlanetScale service tokens and their accesses, managed as code."""

__version__ = "0.1.0"
