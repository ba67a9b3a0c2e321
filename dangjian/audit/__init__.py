"""Append-only audit log: unmasking, exports, imports, logins, role changes."""
