"""A job: its id, its directory, its summary and the driver that runs it."""
