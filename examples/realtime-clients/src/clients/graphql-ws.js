// 1. graphql-ws (v6) over WebSocket, subprotocol graphql-transport-ws. The token goes in the
// connection_init payload, and `connectionParams` is a function, so that every (re)connection
// sends the token current at that moment (docs/frontend.md, "Where the token goes"). After two
// live events the access token is refreshed and the socket dropped: graphql-ws reconnects by
// itself, resubscribes, and the new connection must carry the refreshed token and deliver a
// third event.
import { setTimeout as sleep } from "node:timers/promises";

import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { MY_NOTIFICATIONS, asError, describeErrors, expectLive, timeoutMs, wsUrl } from "../api.js";

export const name = "graphql-ws";

/** Resolves at the next "connected" event of `client`, with the socket's subprotocol. */
function nextConnection(client) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no WebSocket connection within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const off = client.on("connected", (socket) => {
      clearTimeout(timer);
      off();
      resolve(socket.protocol);
    });
  });
}

export async function run({ admin, customer }) {
  const sentParams = []; // what each connection_init carried
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket, // Node 20 has no WebSocket of its own; in a browser leave this out
    connectionParams: () => {
      const params = { authorization: customer.bearer() };
      sentParams.push(params.authorization);
      return params;
    },
    retryAttempts: 3,
    retryWait: () => sleep(200), // quick reconnects in a test; keep the default backoff in an app
    shouldRetry: () => true,
  });
  const connected = nextConnection(client);
  try {
    // One subscription for the whole run: graphql-ws resubscribes it after the reconnect. Its
    // events go to whichever check is attached; an end is kept for the next one to see.
    let attached = null;
    let ended = null;
    const end = (error) => {
      ended ??= error;
      attached?.error(error);
    };
    client.subscribe(
      { query: MY_NOTIFICATIONS },
      {
        next: (result) =>
          result.errors?.length
            ? end(new Error(describeErrors(result.errors)))
            : attached?.next(result.data.myNotifications),
        error: (error) => end(asError(error)),
        complete: () => end(new Error("the subscription completed")),
      },
    );
    const attach = async (sink) => {
      if (ended) sink.error(ended);
      attached = sink;
      return async () => {
        attached = null;
      };
    };
    const protocol = await connected;
    if (protocol !== "graphql-transport-ws") {
      throw new Error(`subprotocol ${protocol}, not graphql-transport-ws`);
    }
    const first = await expectLive({ name, admin, recipientId: customer.user.id, open: attach });

    // A token refresh, then a dropped socket: the reconnection must send the new token. (An
    // access token names the second it was issued in: wait for the next one, so that the new
    // token differs from the old.)
    await sleep(Math.max(0, 1100 - (Date.now() - customer.issuedAt)));
    await customer.rotate();
    const reconnected = nextConnection(client);
    client.terminate(); // close 4499; not fatal: graphql-ws retries
    await reconnected;
    if (sentParams.length !== 2 || sentParams[1] !== customer.bearer() || sentParams[0] === sentParams[1]) {
      throw new Error(
        `connectionParams did not send the refreshed token on reconnect (${sentParams.length} calls)`,
      );
    }
    const again = await expectLive({
      name: `${name} after reconnect`,
      admin,
      recipientId: customer.user.id,
      count: 1,
      open: attach,
    });
    return (
      `${first.live.length} live notifications over graphql-transport-ws (${first.probes} probe(s) first); ` +
      `after refreshToken and a dropped socket it reconnected with the refreshed token ` +
      `(connectionParams called once per connection) and the resubscribed subscription got ${again.live.length} more`
    );
  } finally {
    await client.dispose();
  }
}
