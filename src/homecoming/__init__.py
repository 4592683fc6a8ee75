"""Homecoming: the operating system of a live-in transitional support center."""
