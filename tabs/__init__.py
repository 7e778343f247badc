"""One module per tab; each builds its widgets and wires its own events with create_tab()."""
