def handler(event, context):
    # An S3 notification: one record per object that matched the entry's events and filter.
    for record in event.get("Records", []):
        print("thumbs got: " + record["s3"]["object"]["key"])
    return {"ok": True}
