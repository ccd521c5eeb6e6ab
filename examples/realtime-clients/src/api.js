// What every client shares: plain HTTP requests (fetch) to sign in and to trigger events, the
// token store, and `expectLive`, the check each client passes: at least two live events, each
// caused by a mutation sent while the client was subscribed, within a timeout.
import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export const url = process.env.GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
export const wsUrl = url.replace(/^http/, "ws");
const codeLog = process.env.SMS_CODE_LOG;
/** How long a client may take to show that its subscription is live, and then to receive each event. */
export const timeoutMs = Number(process.env.LIVE_TIMEOUT_MS ?? 15_000);

export const MY_NOTIFICATIONS = `
  subscription MyNotifications {
    myNotifications { id kind title body createdAt }
  }
`;

const SEND_NOTIFICATION = `
  mutation SendNotification($userId: ID!, $title: String!, $body: String!) {
    sendNotification(userId: $userId, title: $title, body: $body) {
      notification { id title }
      errors { code message field }
    }
  }
`;

/** The first GraphQL error of a result, as "CODE message" (the code is `extensions.code`). */
export function describeErrors(errors) {
  const [first] = errors;
  return `${first?.extensions?.code ?? "ERROR"} ${first?.message ?? ""}`.trim();
}

/** What a client library reports as a subscription's failure, as an Error: an Error, a list of
 * GraphQL errors (graphql-ws's `error` message), Apollo's CombinedGraphQLErrors, a WebSocket
 * CloseEvent, or anything else. */
export function asError(error) {
  if (Array.isArray(error?.errors) && error.errors.length) return new Error(describeErrors(error.errors)); // Apollo's CombinedGraphQLErrors
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new Error(describeErrors(error));
  if (error && typeof error === "object" && "code" in error && "reason" in error) {
    return new Error(`WebSocket closed: ${error.code} ${error.reason || ""}`.trim());
  }
  return new Error(`${error?.message ?? JSON.stringify(error)}`);
}

/** One query or mutation over HTTP POST, the token (if any) as `Authorization: Bearer`. */
export async function request(query, variables = {}, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error) => {
    throw new Error(`${url}: ${error.cause?.message ?? error.message}`);
  });
  const body = await response.json().catch(() => {
    throw new Error(`HTTP ${response.status} from ${url}, not JSON`);
  });
  const operation = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? "operation";
  if (body.errors?.length) throw new Error(`${operation}: ${describeErrors(body.errors)}`);
  if (body.data == null) throw new Error(`${operation}: no data (HTTP ${response.status})`);
  return body.data;
}

function check(operation, errors) {
  if (errors?.length) {
    throw new Error(`${operation}: ${errors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
  }
}

/** The code the server sent to `phone`: read from SMS_CODE_LOG after byte `from` (the console SMS
 * sender of a development server prints it there). */
async function smsCode(phone, from) {
  if (!codeLog) throw new Error("SMS_CODE_LOG is not set: point it at the development server's log");
  const marker = `sign-in code for ${phone}: `; // services/accounts/sms.py's ConsoleSmsSender
  for (let attempt = 0; attempt < 50; attempt++) {
    const printed = (await readFile(codeLog)).subarray(from).toString("utf8");
    const at = printed.lastIndexOf(marker);
    const code = at < 0 ? undefined : /^\d+/.exec(printed.slice(at + marker.length))?.[0];
    if (code) return code;
    await sleep(200);
  }
  throw new Error(`no SMS code for ${phone} in ${codeLog}`);
}

/** Signs in by SMS code; the tokens as a store whose `access` is always the current access token. */
export async function signIn(phone) {
  const from = (await stat(codeLog)).size;
  const sent = (
    await request(
      `mutation RequestSmsCode($phone: String!) { requestSmsCode(phone: $phone) { phone errors { code message } } }`,
      { phone },
    )
  ).requestSmsCode;
  check("requestSmsCode", sent.errors);
  const code = await smsCode(sent.phone ?? phone, from);
  const signed = (
    await request(
      `mutation SignInWithSms($phone: String!, $code: String!) {
        signInWithSms(phone: $phone, code: $code) {
          user { id nickname }
          tokens { accessToken refreshToken }
          errors { code message }
        }
      }`,
      { phone, code },
    )
  ).signInWithSms;
  check("signInWithSms", signed.errors);
  return new TokenStore(signed.user, signed.tokens.accessToken, signed.tokens.refreshToken);
}

export class TokenStore {
  constructor(user, access, refresh) {
    this.user = user;
    this.access = access;
    this.refresh = refresh;
    this.issuedAt = Date.now(); // the access token was made before this
  }

  /** What a client sends: read when it is needed, so that it is the current token. */
  bearer() {
    return `Bearer ${this.access}`;
  }

  /** refreshToken: a new pair (the refresh token is single use). */
  async rotate() {
    const result = (
      await request(
        `mutation RefreshToken($refreshToken: String!) {
          refreshToken(refreshToken: $refreshToken) { tokens { accessToken refreshToken } errors { code message } }
        }`,
        { refreshToken: this.refresh },
      )
    ).refreshToken;
    check("refreshToken", result.errors);
    this.access = result.tokens.accessToken;
    this.refresh = result.tokens.refreshToken;
    this.issuedAt = Date.now();
  }
}

/** Sends `recipient` a notification as the admin (sendNotification needs notification.send):
 * each one is a `myNotifications` event for the recipient. */
export async function sendNotification(admin, recipientId, title) {
  const sent = (
    await request(
      SEND_NOTIFICATION,
      { userId: recipientId, title, body: "from examples/realtime-clients" },
      admin.access,
    )
  ).sendNotification;
  check("sendNotification", sent.errors);
  return sent.notification;
}

/** Notifications received by one subscription, and who waits for them. */
class Inbox {
  received = [];
  failure = null;
  #wake = () => {};

  push(notification) {
    this.received.push(notification);
    this.#wake();
  }

  fail(error) {
    this.failure ??= error;
    this.#wake();
  }

  /** Until a received notification matches, the subscription fails, or `ms` pass (then undefined). */
  async waitFor(match, ms) {
    const until = Date.now() + ms;
    for (;;) {
      if (this.failure) throw this.failure;
      const found = this.received.find(match);
      if (found) return found;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      let timer;
      await new Promise((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }
}

/**
 * The check every client passes. `open(sink)` starts the client's `myNotifications`
 * subscription and returns a function that stops it; the client calls `sink.next(notification)`
 * for each event, `sink.error(error)` when the subscription fails or ends.
 *
 * Nothing tells a client when the server has started listening for it (graphql-transport-ws
 * and the HTTP streams have no acknowledgement of a subscription), so first a probe
 * notification is sent every 300 ms until one arrives: the subscription is then live. Then
 * `count` notifications are sent one by one, and each must arrive (matched by its id) within
 * `timeoutMs`. Resolves to what was received; throws a clear message otherwise.
 */
export async function expectLive({ name, admin, recipientId, open, count = 2 }) {
  const inbox = new Inbox();
  const sink = {
    next: (notification) => inbox.push(notification),
    error: (error) => inbox.fail(asError(error)),
  };
  const stop = await open(sink);
  try {
    const started = Date.now();
    let probes = 0;
    while (!inbox.received.length) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `no live event within ${timeoutMs / 1000} s of subscribing (${probes} notifications sent)`,
        );
      }
      await sendNotification(admin, recipientId, `${name} probe ${++probes}`);
      await inbox.waitFor(() => true, 300);
    }
    const live = [];
    for (let i = 1; i <= count; i++) {
      const sent = await sendNotification(admin, recipientId, `${name} event ${i}`);
      const got = await inbox.waitFor((n) => n.id === sent.id, timeoutMs);
      if (!got) {
        throw new Error(
          `notification ${sent.id} ("${sent.title}") did not arrive within ${timeoutMs / 1000} s`,
        );
      }
      if (got.title !== sent.title || got.kind !== "ADMIN_MESSAGE") {
        throw new Error(`notification ${sent.id} arrived as ${JSON.stringify(got)}`);
      }
      live.push(got);
    }
    return { live, probes };
  } finally {
    await stop();
  }
}
