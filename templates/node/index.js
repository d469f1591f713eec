// POST /hello greets the "name" in the JSON body; HEAD /hello answers with the headers only.
// API Gateway's Lambda proxy integration needs { statusCode, headers, body } with a string body.
// uuid comes from package.json: stackctl installs it (npm ci --omit=dev) into the package.
const { v4: uuidv4 } = require("uuid");

const ALLOW_ORIGIN = process.env.ALLOW_ORIGIN || "*";

exports.handler = async (event) => {
  const method = event.httpMethod;
  console.log(`${method} ${event.path}`);
  if (method === "HEAD") {
    return respond(200, "");
  }
  let name = "world";
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body || "", "base64").toString("utf8")
      : event.body;
    const body = JSON.parse(text || "{}");
    if (typeof body.name === "string" && body.name !== "") {
      name = body.name;
    }
  } catch (e) {
    return respond(400, JSON.stringify({ error: "the body must be JSON" }));
  }
  const greeting = process.env.GREETING || "hello";
  return respond(
    200,
    JSON.stringify({ message: `${greeting}, ${name}!`, request_id: uuidv4() }),
  );
};

function respond(statusCode, body) {
  return {
    statusCode,
    headers: {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": ALLOW_ORIGIN,
    },
    body,
  };
}
