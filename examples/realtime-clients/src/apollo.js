// What the two Apollo Client checks share: expectLive's `open` for `myNotifications` through
// whatever link the client was built with.
import { gql } from "@apollo/client";

import { MY_NOTIFICATIONS, asError } from "./api.js";

export function openNotifications(apollo) {
  return async (sink) => {
    const subscription = apollo.subscribe({ query: gql(MY_NOTIFICATIONS) }).subscribe({
      next: ({ data, error }) => (error ? sink.error(asError(error)) : sink.next(data.myNotifications)),
      error: (error) => sink.error(asError(error)),
      complete: () => sink.error(new Error("the subscription completed")),
    });
    return async () => subscription.unsubscribe();
  };
}
