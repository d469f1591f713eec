def handler(event, context):
    # A DynamoDB stream batch: one record per item change, with the item's keys (and its old
    # and new images, as the table's StreamViewType says).
    for record in event.get("Records", []):
        keys = record["dynamodb"]["Keys"]
        print("changes got: " + record["eventName"] + " " + keys["id"]["S"])
    return {"batchItemFailures": []}
