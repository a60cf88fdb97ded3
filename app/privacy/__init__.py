"""Privacy by design: encryption at rest, the privacy notice people consent to, and forgetting
personal data on schedule."""
