// GET /items lists the catalogue; POST /items validates a new item and echoes it with an id.
// A demo without storage: the point is the routing and the proxy response shape.
const ALLOW_ORIGIN = process.env.ALLOW_ORIGIN || "*";
const CATALOGUE = [
  { id: "1", name: "teapot", price: 18 },
  { id: "2", name: "cup", price: 6 },
];

exports.handler = async (event) => {
  console.log(`items: ${event.httpMethod} ${event.path}`);
  if (event.httpMethod === "GET") {
    return respond(200, { items: CATALOGUE });
  }
  let item;
  try {
    item = JSON.parse(event.body || "{}");
  } catch (e) {
    return respond(400, { error: "the body must be JSON" });
  }
  if (typeof item.name !== "string" || item.name === "") {
    return respond(400, { error: "name is required" });
  }
  return respond(201, { id: String(CATALOGUE.length + 1), ...item });
};

function respond(statusCode, body) {
  return {
    statusCode,
    headers: {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": ALLOW_ORIGIN,
    },
    body: JSON.stringify(body),
  };
}
