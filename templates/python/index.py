"""POST /hello greets the "name" in the JSON body; HEAD /hello answers with the headers only.

API Gateway's Lambda proxy integration needs {statusCode, headers, body} with a string body.
shortuuid comes from requirements.txt: stackctl installs it into the package for Lambda.
"""

import base64
import json
import os

import shortuuid

ALLOW_ORIGIN = os.environ.get("ALLOW_ORIGIN", "*")


def handler(event, context):
    method = event.get("httpMethod")
    print(f"{method} {event.get('path')}")
    if method == "HEAD":
        return respond(200, "")
    text = event.get("body") or "{}"
    if event.get("isBase64Encoded"):
        text = base64.b64decode(text).decode("utf-8")
    try:
        body = json.loads(text)
    except ValueError:
        return respond(400, json.dumps({"error": "the body must be JSON"}))
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        name = "world"
    greeting = os.environ.get("GREETING", "hello")
    answer = {"message": f"{greeting}, {name}!", "request_id": shortuuid.uuid()}
    return respond(200, json.dumps(answer))


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": ALLOW_ORIGIN,
        },
        "body": body,
    }
