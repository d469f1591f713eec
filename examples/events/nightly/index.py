import json


def handler(event, context):
    # EventBridge sends the rule's constant input (input = '...') as the event.
    print("nightly got: " + json.dumps(event, sort_keys=True))
    return {"ok": True}
