// The peer's VendureConfig, plain JavaScript (no build step). Settings come from the
// environment so bench/peer_vendure.py can choose the port and database.
// Set before @vendure/core loads: a benchmark peer on loopback reports nothing anywhere.
process.env.VENDURE_DISABLE_TELEMETRY = process.env.VENDURE_DISABLE_TELEMETRY || 'true';

const {
    DefaultLogger,
    DefaultSearchPlugin,
    LogLevel,
    LanguageCode,
    PaymentMethodHandler,
} = require('@vendure/core');
// Not re-exported from the package index; the default strategy when no queue plugin is set.
const { InMemoryJobQueueStrategy } = require('@vendure/core/dist/job-queue/in-memory-job-queue-strategy');

// Settles at once, like our wallet payment: no external provider, no second step.
const settlingPaymentHandler = new PaymentMethodHandler({
    code: 'settling-dummy',
    description: [{ languageCode: LanguageCode.en, value: 'Dummy payment that settles immediately (benchmark)' }],
    args: {},
    createPayment: (ctx, order, amount) => ({
        amount,
        state: 'Settled',
        transactionId: `bench-${order.code}`,
        metadata: {},
    }),
    settlePayment: () => ({ success: true }),
});

const env = process.env;

const config = {
    logger: new DefaultLogger({ level: env.VENDURE_LOG_LEVEL === 'info' ? LogLevel.Info : LogLevel.Warn }),
    apiOptions: {
        hostname: '127.0.0.1',
        port: Number(env.VENDURE_PORT || 3000),
        adminApiPath: 'admin-api',
        shopApiPath: 'shop-api',
        // The playgrounds and debug mode off, as in production.
        adminApiPlayground: false,
        shopApiPlayground: false,
        adminApiDebug: false,
        shopApiDebug: false,
    },
    authOptions: {
        tokenMethod: ['bearer'],
        requireVerification: false,
        superadminCredentials: {
            identifier: env.VENDURE_SUPERADMIN || 'superadmin',
            password: env.VENDURE_SUPERADMIN_PASSWORD || 'superadmin',
        },
    },
    dbConnectionOptions: {
        type: 'postgres',
        host: env.VENDURE_DB_HOST || '127.0.0.1',
        port: Number(env.VENDURE_DB_PORT || 5432),
        username: env.VENDURE_DB_USER || 'postgres',
        password: env.VENDURE_DB_PASSWORD || '',
        database: env.VENDURE_DB_NAME || 'vendure_peer',
        schema: 'public',
        synchronize: true, // creates the schema on first start: no migrations for a benchmark peer
        logging: false,
    },
    paymentOptions: { paymentMethodHandlers: [settlingPaymentHandler] },
    // No DefaultJobQueuePlugin: Vendure's in-memory job queue, processed by this process
    // (index.js), the lightest setup for one server. Every settled order enqueues a search
    // index update (stock changed); at the stock 200 ms poll and one job per poll the queue
    // falls behind under load, so it polls every 10 ms and the bench waits for it to drain.
    jobQueueOptions: {
        jobQueueStrategy: new InMemoryJobQueueStrategy({
            concurrency: 1,
            pollInterval: Number(env.VENDURE_JOB_POLL_MS || 10),
        }),
    },
    plugins: [
        DefaultSearchPlugin.init({ bufferUpdates: false, indexStockStatus: true }),
    ],
};

module.exports = { config, settlingPaymentHandler };
