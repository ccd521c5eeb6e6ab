// Starts the peer: Shop API on /shop-api, Admin API on /admin-api, no admin UI.
// The job queue runs in this process too, so its CPU (search index updates) is counted.
const { bootstrap, JobQueueService } = require('@vendure/core');
const { config } = require('./vendure-config');

bootstrap(config)
    .then(app => app.get(JobQueueService).start())
    .catch(err => {
        console.error(err);
        process.exit(1);
    });
