def handler(event, context):
    # An SNS delivery: one record per message that passed the subscription's filter policy.
    for record in event.get("Records", []):
        print("notify got: " + record["Sns"]["Message"])
    return {"ok": True}
