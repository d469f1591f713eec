"""HEAD /hello: answers 200 with headers and an empty body."""


def handler(event, context):
    print(f"head: {event.get('httpMethod')} {event.get('path')}")
    return {
        "statusCode": 200,
        "headers": {"Access-Control-Allow-Origin": "*"},
        "body": "",
    }
