"""The ``requests`` table's columns and the saved Athena queries, as data.

Rows are the two JSON lines the subscription filter selects (``cdk/request_logs.py``):

* the request log line (``tollway/observability/logging.py``): ``message`` = ``request``, ``status`` = the
  HTTP status, ``method``, ``path``, ``latency_ms``, ``overhead_ms``, ``model``, ``deployment``, ``provider``,
  ``error_type``, ``prompt_tokens``, ``completion_tokens``, ``auth``, ``team_id``; every request, metered or not;
* a metered request's EMF document (``tollway/observability/metrics.py``): ``requests`` = 1, ``team``,
  ``model``, ``provider``, ``costusd``, ``inputtokens``, ``outputtokens``, ``cachedtokens``, ``latencyms``,
  ``ttftms``, ``key_digest`` (SHA-256 of the key, never the key), ``user_id``, ``project_id``,
  ``deployment_id``, ``status`` = the settlement's (``success``, ``refused``, ``failure``...).

Neither line carries message content: the gateway never logs it. The JSON SerDe matches keys without regard to
case (``CostUSD`` -> ``costusd``); a key a row lacks reads as NULL.
"""

from __future__ import annotations

#: (name, Hive type, comment)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("message", "string", "'request' on request log lines"),
    ("level", "string", "log level (request lines)"),
    ("timestamp", "string", "log time, 'yyyy-MM-dd HH:mm:ss,SSS+0000' (request lines)"),
    ("request_id", "string", "x-request-id of the request (both lines)"),
    ("method", "string", "HTTP method"),
    ("path", "string", "HTTP path"),
    ("status", "string", "HTTP status (request lines) or settlement status (EMF lines)"),
    ("latency_ms", "double", "end-to-end latency (request lines)"),
    ("overhead_ms", "double", "the gateway's own time (request lines)"),
    ("model", "string", "model name the client asked for"),
    ("deployment", "string", "deployment that answered (request lines)"),
    ("provider", "string", "provider prefix (openai, bedrock...)"),
    ("error_type", "string", "error type when the request failed"),
    ("prompt_tokens", "bigint", "input tokens (request lines)"),
    ("completion_tokens", "bigint", "output tokens (request lines)"),
    ("auth", "string", "how the caller authenticated (request lines)"),
    ("team_id", "string", "caller's team (request lines)"),
    ("xray_trace_id", "string", "X-Ray trace id (request lines)"),
    ("requests", "bigint", "1 on a metered request's EMF line"),
    ("errors", "bigint", "1 when the metered request failed (EMF lines)"),
    ("team", "string", "team, '-' for none (EMF lines)"),
    ("key_digest", "string", "SHA-256 digest of the virtual key, never the key (EMF lines)"),
    ("user_id", "string", "user id (EMF lines)"),
    ("project_id", "string", "project id (EMF lines)"),
    ("deployment_id", "string", "deployment id (EMF lines)"),
    ("costusd", "double", "cost in USD (EMF lines)"),
    ("inputtokens", "bigint", "input tokens (EMF lines)"),
    ("outputtokens", "bigint", "output tokens (EMF lines)"),
    ("cachedtokens", "bigint", "cached input tokens (EMF lines)"),
    ("latencyms", "double", "latency (EMF lines)"),
    ("ttftms", "double", "time to first token (EMF lines)"),
    ("pricemissing", "bigint", "1 when the model had no price (EMF lines)"),
)

#: name -> (description, SQL with ``{table}``); each reads only the days it reports (partition projection),
#: ``day`` being the ``yyyy/MM/dd`` partition
QUERIES: dict[str, tuple[str, str]] = {
    "spend-by-team-model-day": (
        "Cost, tokens and requests per day, team and model over the last 30 days",
        """SELECT day, team, model,
       round(sum(costusd), 6) AS cost_usd,
       sum(inputtokens) AS input_tokens,
       sum(outputtokens) AS output_tokens,
       count(*) AS requests
FROM {table}
WHERE requests = 1 AND day >= date_format(current_date - interval '30' day, '%Y/%m/%d')
GROUP BY day, team, model
ORDER BY day DESC, cost_usd DESC""",
    ),
    "top-keys": (
        "The 50 virtual keys (by digest: the key's token in /key/list) that spent most over the last 30 days",
        """SELECT key_digest, team,
       round(sum(costusd), 6) AS cost_usd,
       count(*) AS requests,
       sum(inputtokens + outputtokens) AS tokens
FROM {table}
WHERE requests = 1 AND key_digest IS NOT NULL AND day >= date_format(current_date - interval '30' day, '%Y/%m/%d')
GROUP BY key_digest, team
ORDER BY cost_usd DESC
LIMIT 50""",
    ),
    "error-rates": (
        "Requests, 4xx and 5xx answers and the 5xx rate per day, provider and model over the last 7 days",
        """SELECT day, coalesce(provider, '-') AS provider, coalesce(model, '-') AS model,
       count(*) AS requests,
       count_if(try_cast(status AS integer) BETWEEN 400 AND 499) AS client_errors,
       count_if(try_cast(status AS integer) >= 500) AS server_errors,
       round(100.0 * count_if(try_cast(status AS integer) >= 500) / count(*), 2) AS server_error_pct
FROM {table}
WHERE message = 'request' AND day >= date_format(current_date - interval '7' day, '%Y/%m/%d')
GROUP BY day, coalesce(provider, '-'), coalesce(model, '-')
ORDER BY day DESC, server_errors DESC""",
    ),
}
