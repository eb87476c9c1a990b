"""A faithful local enaio: site object definition, SQLite store, one surface per interface."""
