"""Private rooms: a host, members who get ready, settings, chat, and a start that seats bots."""
