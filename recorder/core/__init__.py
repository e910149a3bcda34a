"""The core: the session and what it checks, writes and reads back; the front ends import it, never the reverse."""
