"""Google Gemini: the AI Studio adapter and the content translation Vertex AI shares."""
