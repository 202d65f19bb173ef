"""Amazon SageMaker real-time endpoints (``sagemaker/<endpoint>``, ``sagemaker_chat/<endpoint>``)."""
