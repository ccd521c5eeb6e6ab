// 3. Apollo Client 4 with HttpLink alone: a subscription over plain HTTP. HttpLink sends it as a
// POST that accepts `multipart/mixed;boundary=graphql;subscriptionSpec=1.0` (Apollo's multipart
// subscription protocol), and the server streams each event as one part of the response. The
// token is the Authorization header, as for any HTTP request. The check also asserts that the
// answer really was a multipart stream (and not, say, one JSON error).
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";

import { openNotifications } from "../apollo.js";
import { expectLive, url } from "../api.js";

export const name = "apollo HttpLink (multipart)";

export async function run({ admin, customer }) {
  const streams = []; // [accept sent, content-type received] of each request
  const httpLink = new HttpLink({
    uri: url,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      streams.push([new Headers(init?.headers).get("accept"), response.headers.get("content-type")]);
      return response;
    },
  });
  const authLink = new SetContextLink((previous) => ({
    headers: { ...previous.headers, authorization: customer.bearer() },
  }));
  const apollo = new ApolloClient({ link: authLink.concat(httpLink), cache: new InMemoryCache() });
  try {
    const { live, probes } = await expectLive({
      name,
      admin,
      recipientId: customer.user.id,
      open: openNotifications(apollo),
    });
    const [accept, contentType] = streams[0] ?? [];
    if (streams.length !== 1 || !/^multipart\/mixed/i.test(contentType ?? "")) {
      throw new Error(
        `the subscription was answered ${contentType} (Accept: ${accept}), not multipart/mixed`,
      );
    }
    return `${live.length} live notifications as parts of one ${contentType.split(";")[0]} response (${probes} probe(s) first)`;
  } finally {
    apollo.stop();
  }
}
