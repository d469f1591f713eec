import json


def handler(event, context):
    # An SQS batch: one record per message. Report failures one by one, so a bad message
    # is retried alone (report_batch_item_failures = true).
    failures = []
    for record in event.get("Records", []):
        try:
            print("worker got: " + record["body"])
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
