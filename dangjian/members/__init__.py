"""Member registry: personal data, roster import/export, member history."""
