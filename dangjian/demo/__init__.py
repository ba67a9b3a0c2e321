"""Demo district generator; nothing imports this app."""
