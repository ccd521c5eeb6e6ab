// The first day of a storefront client, end to end: sign in with an SMS code, find a product,
// open a live subscription to my orders, check out, pay from the wallet, and see the order
// turn PAID and then SHIPPED (the merchant ships it) as it happens.
//
//   GRAPHQL_URL   the server (default http://127.0.0.1:8000/graphql: `make serve`)
//   BUYER_PHONE, MERCHANT_PHONE   default: the demo customer and tea merchant of `manage seed-demo`
//   SMS_CODE_LOG  a file where the development server prints SMS codes (its console SMS sender);
//                 without it the script asks for each code on the terminal
//
// Prints one summary line; exits 1 on any failure.
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";

import { live, request, subscribe } from "./client.js";
import type { MyOrderUpdatesSubscription, OrderStatus } from "./gql/graphql.js";
import {
  CheapestProduct,
  MyAddresses,
  MyOrderUpdates,
  PayWithWallet,
  PlaceOrder,
  RefetchOrder,
  RequestSmsCode,
  ShipOrder,
  SignInWithSms,
} from "./operations.js";

const url = process.env.GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
const buyerPhone = process.env.BUYER_PHONE ?? "13800000002";
const merchantPhone = process.env.MERCHANT_PHONE ?? "13800000003";
const codeLog = process.env.SMS_CODE_LOG;

function fail(message: string): never {
  throw new Error(message);
}

function check(operation: string, errors: { code: string; message: string }[]): void {
  if (errors.length) fail(`${operation}: ${errors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
}

/** The code the server sent to `phone`: from SMS_CODE_LOG (written after byte `from`), or typed in. */
async function smsCode(phone: string, from: number): Promise<string> {
  if (!codeLog) {
    const terminal = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return (await terminal.question(`SMS code sent to ${phone}: `)).trim();
    } finally {
      terminal.close();
    }
  }
  const marker = `sign-in code for ${phone}: `; // services/accounts/sms.py's ConsoleSmsSender
  for (let attempt = 0; attempt < 50; attempt++) {
    const printed = (await readFile(codeLog)).subarray(from).toString("utf8");
    const at = printed.lastIndexOf(marker);
    const code = at < 0 ? undefined : /^\d+/.exec(printed.slice(at + marker.length))?.[0];
    if (code) return code;
    await sleep(200);
  }
  return fail(`no SMS code for ${phone} in ${codeLog}`);
}

async function signIn(phone: string): Promise<string> {
  const from = codeLog ? (await stat(codeLog)).size : 0;
  const sent = (await request(url, RequestSmsCode, { phone })).requestSmsCode;
  check("requestSmsCode", sent.errors);
  const code = await smsCode(sent.phone ?? phone, from);
  const signed = (await request(url, SignInWithSms, { phone, code })).signInWithSms;
  check("signInWithSms", signed.errors);
  return signed.tokens?.accessToken ?? fail("signInWithSms: no tokens");
}

type Update = MyOrderUpdatesSubscription["myOrderUpdates"];

/** Reads `updates` until `orderId` reaches `status` (other orders' updates are skipped). */
async function waitFor(
  updates: AsyncGenerator<MyOrderUpdatesSubscription>,
  orderId: string,
  status: OrderStatus,
): Promise<Update> {
  const timer = new AbortController();
  const timeout = sleep(10_000, null, { signal: timer.signal }).then(() =>
    fail(`no live ${status} update of order ${orderId} within 10 s`),
  );
  try {
    for (;;) {
      const next = await Promise.race([updates.next(), timeout]);
      if (next.done) fail("the subscription ended");
      const update = next.value.myOrderUpdates;
      if (update.order.id === orderId && update.status === status) return update;
    }
  } finally {
    timer.abort();
  }
}

async function main(): Promise<string> {
  const buyer = await signIn(buyerPhone);
  const address = (await request(url, MyAddresses, {}, buyer)).me?.addresses[0];
  if (!address) fail("the buyer has no address (python -m manage seed-demo adds one)");
  const product = (await request(url, CheapestProduct, {})).searchProducts.nodes[0];
  const sku = product?.skus.find((s) => s.stock > 0) ?? fail("no product in stock in the NORMAL zone");

  // Subscribe first, so no change is missed; then act over HTTP.
  const ws = await live(url, buyer);
  try {
    const updates = subscribe(ws, MyOrderUpdates, {});
    const input = {
      idempotencyKey: randomUUID(),
      items: [{ skuId: sku.id, quantity: 1 }],
      addressId: address.id,
    };
    const placed = (await request(url, PlaceOrder, { input }, buyer)).placeOrder;
    check("placeOrder", placed.errors);
    const order = placed.orders[0] ?? fail("placeOrder: no order");
    const payment = placed.payment ?? fail("placeOrder: no payment");

    const paid = (await request(url, PayWithWallet, { paymentId: payment.id }, buyer)).payWithWallet;
    check("payWithWallet", paid.errors);
    const toPaid = await waitFor(updates, order.id, "PAID");

    const merchant = await signIn(merchantPhone);
    const shipped = (
      await request(url, ShipOrder, { orderId: order.id, trackingNo: `SF${Date.now()}` }, merchant)
    ).shipOrder;
    check("shipOrder", shipped.errors);
    const toShipped = await waitFor(updates, order.id, "SHIPPED");
    // Any object's global id refetches it through `node`.
    const refetched = (await request(url, RefetchOrder, { id: order.id }, buyer)).node;
    if (refetched?.__typename !== "Order" || refetched.status !== toShipped.status) {
      fail(`node(id:) did not return the shipped order ${order.id}`);
    }

    const money = `${payment.amount.amount} ${payment.amount.currency}`;
    const statuses = [order.status, toPaid.status, toShipped.status].join(" -> ");
    return `order ${order.orderNo} (${product?.title}, ${money} from the wallet): ${statuses}, live over graphql-ws`;
  } finally {
    await ws.dispose();
  }
}

main().then(
  (summary) => {
    console.log(`ts-client ok: ${summary}`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`ts-client FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
