"""Typed settings and the rules file; imports nothing else from busavvik."""
