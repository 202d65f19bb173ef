#!/bin/bash
# Lambda Web Adapter bootstrap (handler "run.sh" with AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap):
# serve the shared ASGI app with uvicorn on $PORT; the adapter relays each invocation to it
# and streams the response back. Dependencies come from the layer (/opt/python).
# Unbuffered: EMF metric records are printed to stdout and must reach CloudWatch with their request.
export PYTHONPATH="${LAMBDA_TASK_ROOT:-/var/task}:/opt/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
exec python -m uvicorn tollway.asgi:app \
    --host 127.0.0.1 --port "${PORT:-8080}" \
    --workers 1 --no-access-log --timeout-keep-alive 60 --log-level warning
