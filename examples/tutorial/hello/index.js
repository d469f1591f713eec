// POST /hello: greets whoever the JSON body names, as a Lambda proxy response.
exports.handler = async (event) => {
  let name = "world";
  try {
    name = JSON.parse(event.body || "{}").name || name;
  } catch (e) {
    return respond(400, { error: "body must be JSON" });
  }
  console.log(`hello: greeting ${name} (${event.httpMethod} ${event.path})`);
  return respond(200, { message: `${process.env.GREETING || "hello"}, ${name}!` });
};

function respond(statusCode, body) {
  return {
    statusCode,
    headers: {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": "*",
    },
    body: JSON.stringify(body),
  };
}
