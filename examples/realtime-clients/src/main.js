// Four npm GraphQL clients against one development server, each receiving live events of the
// `myNotifications` subscription over another transport the server serves:
//
//   1. graphql-ws                WebSocket, graphql-transport-ws (with a reconnect and a refreshed token)
//   2. Apollo Client, split link GraphQLWsLink for subscriptions, HttpLink for queries
//   3. Apollo Client, HttpLink   HTTP multipart/mixed subscription
//   4. graphql-sse               HTTP text/event-stream, distinct connections mode
//
// The demo admin (13800000000) sends the demo customer (13800000002) notifications with
// `sendNotification`; each client, signed in as the customer, must receive at least two of them
// live (see expectLive in api.js).
//
//   GRAPHQL_URL      the server (default http://127.0.0.1:8000/graphql)
//   SMS_CODE_LOG     the development server's log, where its console SMS sender prints codes
//   ADMIN_PHONE, CUSTOMER_PHONE   default: the demo admin and customer of `manage seed-demo`
//   LIVE_TIMEOUT_MS  how long each wait may take (default 15000)
//   CLIENTS          a comma-separated subset to run, by file name (e.g. graphql-sse,apollo-http)
//
// Prints one line per client; exits 1 if any failed.
import * as apolloHttp from "./clients/apollo-http.js";
import * as apolloSplit from "./clients/apollo-split.js";
import * as graphqlSse from "./clients/graphql-sse.js";
import * as graphqlWs from "./clients/graphql-ws.js";
import { signIn, url } from "./api.js";

const clients = {
  "graphql-ws": graphqlWs,
  "apollo-split": apolloSplit,
  "apollo-http": apolloHttp,
  "graphql-sse": graphqlSse,
};
const chosen = process.env.CLIENTS
  ? process.env.CLIENTS.split(",").map((c) => c.trim())
  : Object.keys(clients);

async function main() {
  const unknown = chosen.filter((c) => !(c in clients));
  if (unknown.length) throw new Error(`unknown CLIENTS ${unknown} (known: ${Object.keys(clients)})`);
  const admin = await signIn(process.env.ADMIN_PHONE ?? "13800000000");
  const customer = await signIn(process.env.CUSTOMER_PHONE ?? "13800000002");
  console.log(
    `realtime-clients: ${url}, notifications from ${admin.user.nickname} to ${customer.user.nickname}`,
  );
  let failed = 0;
  for (const key of chosen) {
    const client = clients[key];
    const started = Date.now();
    try {
      const summary = await client.run({ admin, customer });
      console.log(`  ok      ${client.name}: ${summary} [${Date.now() - started} ms]`);
    } catch (error) {
      failed++;
      console.error(
        `  FAILED  ${client.name}: ${error instanceof Error ? error.message : String(error)} [${Date.now() - started} ms]`,
      );
    }
  }
  if (failed) throw new Error(`${failed} of ${chosen.length} clients did not receive their live events`);
  return `all ${chosen.length} clients received their live events`;
}

main().then(
  (summary) => {
    console.log(`realtime-clients ok: ${summary}`);
    process.exit(0);
  },
  (error) => {
    console.error(`realtime-clients FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
