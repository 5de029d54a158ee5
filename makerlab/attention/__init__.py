"""What needs attention after a change elsewhere: the list, its suggestions, its API."""
