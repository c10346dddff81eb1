"""Remote Care: remote care for office printers and MFPs (agent and center)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
