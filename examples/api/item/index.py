"""GET, PUT, DELETE /items/{id}: one item, by the id in the path."""

import json
import os

ALLOW_ORIGIN = os.environ.get("ALLOW_ORIGIN", "*")


def handler(event, context):
    method = event.get("httpMethod")
    item_id = (event.get("pathParameters") or {}).get("id")
    print(f"item: {method} {item_id}")
    if method == "DELETE":
        return respond(204, "")
    if method == "PUT":
        try:
            item = json.loads(event.get("body") or "{}")
        except ValueError:
            return respond(400, json.dumps({"error": "the body must be JSON"}))
        return respond(200, json.dumps({**item, "id": item_id}))
    return respond(200, json.dumps({"id": item_id, "name": f"item {item_id}"}))


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": ALLOW_ORIGIN,
        },
        "body": body,
    }
