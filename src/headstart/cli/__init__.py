"""The command line. Nothing else in headstart imports from here."""
