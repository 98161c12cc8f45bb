"""A small Django shop with the Jivo widget (see ../README.md)."""
