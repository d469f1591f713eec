"""GET /health answers {"ok": true}; HEAD /health the same headers with an empty body."""

import json
import os

ALLOW_ORIGIN = os.environ.get("ALLOW_ORIGIN", "*")


def handler(event, context):
    method = event.get("httpMethod")
    print(f"health: {method}")
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": ALLOW_ORIGIN,
        },
        "body": "" if method == "HEAD" else json.dumps({"ok": True}),
    }
