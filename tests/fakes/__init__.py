"""Stand-ins for servers the gateway talks to, used only by tests (never imported by gateway/)."""
