"""Vertex AI: Gemini's content format on Google Cloud with OAuth (google-auth) credentials."""
