"""The counter's day: today's bookings, workshop sessions and kits in one view."""
