"""``replicate/<owner>/<name>[:<version>]``: Replicate's predictions API, polled or streamed over SSE."""
