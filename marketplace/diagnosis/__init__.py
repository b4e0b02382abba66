"""Self-diagnosis of digital maturity: questionnaire, scoring, needs, stored diagnoses."""
