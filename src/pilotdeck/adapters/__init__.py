"""Adapters to real backends, each chosen by URI/config behind a small interface."""
