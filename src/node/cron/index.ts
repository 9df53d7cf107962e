// Scheduler helpers, grouped as in the Sentry SDKs: `faultline.cron.instrumentNodeCron(nodeCron)`.
import { instrumentNodeCron } from './node-cron.js';
import { instrumentCron } from './cron.js';

export { instrumentNodeCron, instrumentCron };
export const cron = { instrumentNodeCron, instrumentCron };
