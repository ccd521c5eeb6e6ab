// The whole transport: typed documents over HTTP (fetch) and over WebSocket (graphql-ws).
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { TypedDocumentString } from "./gql/graphql.js";

export class GraphQLError extends Error {}

type Body<R> = { data?: R | null; errors?: { message: string; extensions?: { code?: string } }[] };

function dataOf<R>(document: string, body: Body<R>): R {
  const operation = /(?:query|mutation|subscription)\s+(\w+)/.exec(document)?.[1] ?? "operation";
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new GraphQLError(`${operation}: ${first?.extensions?.code ?? "ERROR"} ${first?.message}`);
  }
  if (body.data == null) throw new GraphQLError(`${operation}: no data`);
  return body.data;
}

/** One query or mutation over HTTP; the token, when given, as `Authorization: Bearer`. */
export async function request<R, V>(
  url: string,
  document: TypedDocumentString<R, V>,
  variables: V,
  token?: string,
): Promise<R> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: document.toString(), variables }),
  }).catch((error: Error) => {
    throw new GraphQLError(`${url}: ${error.cause instanceof Error ? error.cause.message : error.message}`);
  });
  if (!response.ok && !response.headers.get("content-type")?.includes("json")) {
    throw new GraphQLError(`HTTP ${response.status} from ${url}`);
  }
  return dataOf(document.toString(), (await response.json()) as Body<R>);
}

/** A graphql-transport-ws connection (the same /graphql URL, ws:// or wss://), signed in by the
 * `authorization` connection parameter (browsers cannot set headers on a WebSocket); resolves
 * once the server has accepted it. */
export async function live(url: string, token: string): Promise<Client> {
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket, // Node 20 has no WebSocket of its own; in a browser leave this out
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.on("connected", () => resolve());
    client.on("closed", (event) =>
      reject(new GraphQLError(`WebSocket closed: ${(event as { reason?: string }).reason || "no reason"}`)),
    );
    client.on("error", (error) =>
      reject(error instanceof Error ? error : new GraphQLError(`WebSocket error at ${url}`)),
    );
  });
  return client;
}

/** The results of one subscription, as an async iterator of typed data. The subscription starts
 * now (not at the first `next()`), so nothing that happens meanwhile is missed. */
export function subscribe<R, V>(
  client: Client,
  document: TypedDocumentString<R, V>,
  variables: V,
): AsyncGenerator<R> {
  const query = document.toString();
  const results = client.iterate<R>({ query, variables: variables as Record<string, unknown> });
  return (async function* () {
    for await (const result of results) yield dataOf(query, result as Body<R>);
  })();
}
