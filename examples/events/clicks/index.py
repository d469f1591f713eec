import base64


def handler(event, context):
    # A Kinesis batch: one record per put, its data base64-encoded.
    for record in event.get("Records", []):
        print("clicks got: " + base64.b64decode(record["kinesis"]["data"]).decode())
    return {"batchItemFailures": []}
