"""Amazon Bedrock adapter (Converse, ConverseStream, InvokeModel embeddings) over boto3."""
