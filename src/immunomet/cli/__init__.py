"""Thin command-line front end: parses flags, calls the library, prints what it returns."""
