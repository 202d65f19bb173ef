"""Azure AI Foundry models and serverless API endpoints (``azure_ai/<model>``)."""
