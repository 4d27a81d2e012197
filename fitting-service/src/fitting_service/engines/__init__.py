"""Try-on engines behind one interface: `local` (offline, the default) and `fitroom`."""
