// Compiled into a room library that has no sources of its own yet.
