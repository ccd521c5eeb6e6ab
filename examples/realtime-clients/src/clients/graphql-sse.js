// 4. graphql-sse in "distinct connections mode" (its default, `singleConnection: false`): each
// subscription is one POST accepting `text/event-stream`, answered by a stream of `next` events
// and a final `complete`. The token is the Authorization header, from a `headers` function so
// that every connection sends the current one. The check also asserts the answer's content type.
import { createClient } from "graphql-sse";

import { MY_NOTIFICATIONS, asError, describeErrors, expectLive, url } from "../api.js";

export const name = "graphql-sse (distinct connections)";

export async function run({ admin, customer }) {
  const streams = []; // content-type of each response
  const client = createClient({
    url,
    singleConnection: false,
    headers: () => ({ authorization: customer.bearer() }),
    retryAttempts: 0, // a test: fail instead of reconnecting
    fetchFn: async (input, init) => {
      const response = await fetch(input, init);
      streams.push(response.headers.get("content-type"));
      return response;
    },
  });
  try {
    const { live, probes } = await expectLive({
      name,
      admin,
      recipientId: customer.user.id,
      open: async (sink) => {
        const dispose = client.subscribe(
          { query: MY_NOTIFICATIONS },
          {
            next: (result) =>
              result.errors?.length
                ? sink.error(new Error(describeErrors(result.errors)))
                : sink.next(result.data.myNotifications),
            error: (error) => sink.error(asError(error)),
            complete: () => sink.error(new Error("the subscription completed")),
          },
        );
        return async () => dispose();
      },
    });
    if (streams.length !== 1 || !/^text\/event-stream/i.test(streams[0] ?? "")) {
      throw new Error(`the subscription was answered ${streams.join(", ")}, not one text/event-stream`);
    }
    return `${live.length} live notifications as events of one text/event-stream response (${probes} probe(s) first)`;
  } finally {
    client.dispose();
  }
}
