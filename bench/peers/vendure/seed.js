// Seeds the peer's database from scratch (its `public` schema is DROPPED):
//   node seed.js --catalog catalog.csv --customers 32 --out seeded.json
// The catalog is a Vendure product-import CSV (bench/peer_vendure.py writes it from our own
// seeded catalog, so both sides list the same products); without --catalog a synthetic one of
// --products products is generated. Then: a zero-rate tax zone, a free shipping method, the
// settling dummy payment method, customers with passwords, and a full search reindex.
// Prints / writes JSON: customers, shipping method id, variant ids by SKU.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Client } = require('pg');
const { bootstrap, DefaultSearchPlugin, JobQueueService } = require('@vendure/core');
const { populate } = require('@vendure/core/cli');
const { config } = require('./vendure-config');

function parseArgs(argv) {
    const args = { customers: 32, products: 1000, port: Number(process.env.VENDURE_PORT || 3000) };
    for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
    args.customers = Number(args.customers);
    args.products = Number(args.products);
    args.port = Number(args.port);
    return args;
}

const HEADER = 'name,slug,description,assets,facets,optionGroups,optionValues,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets';

function syntheticCatalog(products) {
    let seed = 42;
    const rand = n => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const rows = [HEADER];
    for (let i = 0; i < products; i++) {
        const n = 1 + rand(3);
        const prices = Array.from({ length: n }, () => 990 + rand(98911)).sort((a, b) => a - b);
        for (let j = 0; j < n; j++) {
            const stock = 1 + rand(200);
            const group = n > 1 ? '规格' : '';
            const value = n > 1 ? String(j) : '';
            const head = j === 0
                ? [`商品 ${i}`, `p-${i}`, '包邮', '', `merchant:商户${String(rand(20)).padStart(2, '0')}`, group, value]
                : ['', '', '', '', '', '', value];
            rows.push([...head, `S${i}-${j}`, (prices[j] / 100).toFixed(2), 'standard', stock, 'true', '', ''].join(','));
        }
    }
    return rows.join('\n') + '\n';
}

async function dropSchema() {
    const db = config.dbConnectionOptions;
    const client = new Client({ host: db.host, port: db.port, user: db.username, password: db.password, database: db.database });
    await client.connect();
    await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
    await client.end();
}

async function gql(base, token, query, variables) {
    const response = await fetch(`${base}/admin-api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { data: body.data, token: response.headers.get('vendure-auth-token') };
}

const initialData = {
    defaultLanguage: 'en',
    defaultZone: 'Asia',
    countries: [{ name: 'China', code: 'CN', zone: 'Asia' }],
    taxRates: [{ name: 'Standard Tax', percentage: 0 }], // our prices carry no tax either
    shippingMethods: [{ name: 'Express', price: 0 }], // free, like our plain product's delivery
    paymentMethods: [{ name: 'Settling dummy', handler: { code: 'settling-dummy', arguments: [] } }],
    collections: [],
};

function seedConfig(args) {
    return {
        ...config,
        apiOptions: { ...config.apiOptions, port: args.port },
        importExportOptions: { importAssetsDir: os.tmpdir() },
    };
}

async function main() {
    const args = parseArgs(process.argv);
    const started = Date.now();
    let csvPath = args.catalog;
    if (!csvPath) {
        csvPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vendure-seed-')), 'catalog.csv');
        fs.writeFileSync(csvPath, syntheticCatalog(args.products));
    }
    if (args['import-only']) {
        // A process of its own: the import runs without the search plugin, as with it every
        // imported product and variant queues its own index update, far slower than the one
        // full reindex done afterwards.
        const app = await populate(
            () => bootstrap({ ...seedConfig(args), plugins: config.plugins.filter(p => p !== DefaultSearchPlugin) }),
            initialData,
            csvPath,
        );
        await app.close();
        process.exit(0);
    }
    await dropSchema();
    execFileSync(process.execPath, [__filename, '--import-only', '1', '--catalog', csvPath, '--port', String(args.port)], {
        stdio: ['ignore', 'ignore', 'inherit'],
    });
    const phase = what => console.error(`seed: ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    phase('catalog imported');
    const app = await bootstrap(seedConfig(args));
    await app.get(JobQueueService).start();
    const base = `http://127.0.0.1:${args.port}`;
    const admin = config.authOptions.superadminCredentials;
    const { token } = await gql(base, null, `mutation($u: String!, $p: String!) {
        login(username: $u, password: $p) { ... on CurrentUser { id } ... on ErrorResult { message } } }`,
        { u: admin.identifier, p: admin.password });

    const customers = [];
    for (let i = 0; i < args.customers; i++) {
        const email = `buyer${i}@bench.example`;
        const password = 'bench-password';
        const { data } = await gql(base, token, `mutation($input: CreateCustomerInput!, $p: String) {
            createCustomer(input: $input, password: $p) { ... on Customer { id } ... on ErrorResult { message } } }`,
            { input: { emailAddress: email, firstName: `Buyer${i}`, lastName: 'Bench' }, p: password });
        if (!data.createCustomer.id) throw new Error(JSON.stringify(data));
        customers.push({ email, password });
    }
    const { data: shipping } = await gql(base, token, '{ shippingMethods { items { id code } } }');

    phase('customers created');
    // Full rebuild of the search index, processed by this process's job queue; done when the
    // index lists every product (the in-memory queue forgets finished jobs).
    await gql(base, token, 'mutation { reindex { id } }');
    const { data: counts } = await gql(base, token, '{ products { totalItems } productVariants { totalItems } }');
    for (let waited = 0; ; waited += 500) {
        const { data } = await gql(base, token, `{ search(input: { take: 1, groupByProduct: true }) { totalItems } }`);
        const { data: all } = await gql(base, token, `{ search(input: { take: 1 }) { totalItems } }`);
        if (data.search.totalItems === counts.products.totalItems
            && all.search.totalItems === counts.productVariants.totalItems) break;
        if (waited > 600000) throw new Error('the search index was not rebuilt in 10 minutes');
        await new Promise(r => setTimeout(r, 500));
    }
    phase('search index rebuilt');
    const variants = {};
    for (let skip = 0; ; skip += 1000) {
        const { data } = await gql(base, token, `query($skip: Int) {
            productVariants(options: { take: 1000, skip: $skip }) { totalItems items { id sku } } }`, { skip });
        for (const v of data.productVariants.items) variants[v.sku] = v.id;
        if (skip + 1000 >= data.productVariants.totalItems) break;
    }
    const out = {
        customers,
        shippingMethodId: shipping.shippingMethods.items[0].id,
        paymentMethod: 'settling-dummy',
        variants,
        products: counts.products.totalItems,
        productVariants: counts.productVariants.totalItems,
        seconds: (Date.now() - started) / 1000,
    };
    if (args.out) fs.writeFileSync(args.out, JSON.stringify(out));
    console.log(JSON.stringify({ ...out, variants: Object.keys(variants).length }));
    await app.close();
    process.exit(0);
}

main().catch(err => {
    console.error(err);
    process.exit(1);
});
