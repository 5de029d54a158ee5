"""Calendar feeds for calendar apps: personal feeds with their own secrets, the public programme."""
