"""Organisational life (三会一课 and the seven systems): records, check-in, review, 调阅, compliance, reminders."""
