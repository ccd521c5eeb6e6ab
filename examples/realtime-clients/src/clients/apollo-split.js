// 2. Apollo Client 4 with a split link, as docs/frontend.md sets it up: subscriptions over
// GraphQLWsLink (graphql-ws, the token in connection_init from a connectionParams function),
// queries and mutations over HttpLink (the token in the Authorization header, set per request
// by SetContextLink). It runs a query (`me`, `myNotifications`), receives the live events of a
// `myNotifications` subscription, then queries again and finds them in the inbox. Both
// transports are watched, so a subscription that went over HTTP, or a query over the socket,
// fails the check.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { openNotifications } from "../apollo.js";
import { asError, expectLive, url, wsUrl } from "../api.js";

export const name = "apollo split link";

// Node 20 has no global WebSocket, and GraphQLWsLink's error path reads it (`WebSocket.CLOSED` in
// its isLikeErrorEvent), so any subscription error became "ReferenceError: WebSocket is not
// defined" (apollographql/apollo-client#11761). Browsers and Node 22+ have one already.
globalThis.WebSocket ??= WebSocket;

const INBOX = gql`
  query Inbox {
    me {
      id
      nickname
    }
    myNotifications(first: 10) {
      nodes {
        id
        title
        read
      }
    }
  }
`;

export async function run({ admin, customer }) {
  let nextOverWs = 0; // results the socket brought
  const overHttp = []; // operation names HttpLink sent
  const wsClient = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: customer.bearer() }),
    retryAttempts: 0,
  });
  wsClient.on("message", (message) => {
    if (message.type === "next") nextOverWs++;
  });
  const httpLink = new HttpLink({
    uri: url,
    fetch: (input, init) => {
      overHttp.push(JSON.parse(String(init?.body ?? "{}")).operationName);
      return fetch(input, init);
    },
  });
  const authLink = new SetContextLink((previous) => ({
    headers: { ...previous.headers, authorization: customer.bearer() },
  }));
  const link = ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(wsClient),
    ApolloLink.from([authLink, httpLink]),
  );
  const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
  try {
    const before = await apollo.query({ query: INBOX, fetchPolicy: "network-only" });
    if (before.error) throw asError(before.error);
    if (before.data.me?.id !== customer.user.id) {
      throw new Error(
        `query me: ${JSON.stringify(before.data.me)}, not the signed-in user ${customer.user.id}`,
      );
    }

    const { live, probes } = await expectLive({
      name,
      admin,
      recipientId: customer.user.id,
      open: openNotifications(apollo),
    });

    const after = await apollo.query({ query: INBOX, fetchPolicy: "network-only" });
    if (after.error) throw asError(after.error);
    const inbox = new Set(after.data.myNotifications.nodes.map((n) => n.id));
    const missing = live.filter((n) => !inbox.has(n.id));
    if (missing.length) throw new Error(`myNotifications (query) lacks the live ${missing.map((n) => n.id)}`);

    if (nextOverWs < live.length) {
      throw new Error(`the socket brought ${nextOverWs} results, the events did not come over it`);
    }
    if (overHttp.join() !== "Inbox,Inbox") {
      throw new Error(`HttpLink sent [${overHttp}], not the two queries`);
    }
    return (
      `query me (${before.data.me.nickname}) over HttpLink, ${live.length} live notifications over GraphQLWsLink ` +
      `(${probes} probe(s) first), then found in the inbox by a second query`
    );
  } finally {
    apollo.stop();
    await wsClient.dispose();
  }
}
