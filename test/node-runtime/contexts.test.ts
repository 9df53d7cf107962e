// Contexts and modules on real events sent to the local server (which validates every field
// type with the protocol kit), plus the pure detection functions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as faultline from '../../src/index.js';
import { nodeContextIntegration } from '../../src/integrations/contexts.js';
import { modulesIntegration } from '../../src/integrations/modules.js';
import { detectCloudResource } from '../../src/node/contexts/cloud.js';
import { parseOsRelease } from '../../src/node/contexts/os.js';
import { createModuleCollector } from '../../src/node/contexts/modules.js';
import { useSentryServer } from '../helpers/sdk-harness.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });

async function sendOne(extra: faultline.Options = {}): Promise<any> {
  faultline.init({
    dsn: server.dsn,
    defaultIntegrations: false,
    integrations: [nodeContextIntegration(), modulesIntegration()],
    ...extra,
  });
  faultline.captureException(new Error('with context'));
  assert.equal(await faultline.flush(2000), true);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit, contexts included');
  const events = server.events();
  assert.equal(events.length, 1);
  return events[0];
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('contexts', () => {
  test('os, runtime, device, app and culture are on every event with the right types', async () => {
    const { contexts } = await sendOne();
    assert.deepEqual(contexts.runtime, { name: 'node', version: process.version });
    assert.equal(contexts.os.kernel_version, os.release());
    assert.equal(typeof contexts.os.name, 'string');
    if (process.platform === 'linux' && fs.existsSync('/etc/os-release')) {
      const release = parseOsRelease(fs.readFileSync('/etc/os-release', 'utf8'));
      assert.equal(contexts.os.name, release['NAME']);
      assert.equal(contexts.os.version, release['VERSION_ID']);
    }
    const d = contexts.device;
    assert.equal(d.arch, os.arch());
    assert.equal(d.memory_size, os.totalmem());
    assert.ok(Number.isInteger(d.free_memory) && d.free_memory > 0 && d.free_memory <= d.memory_size);
    assert.ok(Number.isInteger(d.processor_count) && d.processor_count >= 1);
    assert.match(d.boot_time, ISO);
    assert.ok(Date.parse(d.boot_time) < Date.now());
    assert.match(contexts.app.app_start_time, ISO);
    assert.ok(Math.abs(Date.parse(contexts.app.app_start_time) - (Date.now() - process.uptime() * 1000)) < 5000);
    assert.ok(Number.isInteger(contexts.app.app_memory) && contexts.app.app_memory > 1_000_000);
    const intl = Intl.DateTimeFormat().resolvedOptions();
    assert.equal(contexts.culture.locale, intl.locale);
    assert.equal(contexts.culture.timezone, intl.timeZone);
  });

  test('the user\'s contexts win; device and app are merged field by field', async () => {
    faultline.setContext('app', { app_name: 'shop' });
    faultline.setContext('os', { name: 'CustomOS' });
    const { contexts } = await sendOne();
    assert.equal(contexts.app.app_name, 'shop');
    assert.ok(Number.isInteger(contexts.app.app_memory), 'our memory number is kept beside the user\'s name');
    assert.deepEqual(contexts.os, { name: 'CustomOS' });
  });

  test('a processor that edits a context in place changes only its own event', async () => {
    faultline.init({
      dsn: server.dsn,
      defaultIntegrations: false,
      integrations: [nodeContextIntegration()],
    });
    let first = true;
    faultline.getIsolationScope().addEventProcessor((event) => {
      if (first) {
        first = false;
        for (const key of ['runtime', 'os', 'device', 'app', 'culture']) {
          const context = event.contexts?.[key] as Record<string, unknown> | undefined;
          assert.ok(context, `${key} is there to edit`);
          context['edited'] = 'yes';
        }
      }
      return event;
    });
    faultline.captureMessage('edited');
    faultline.captureMessage('untouched');
    assert.equal(await faultline.flush(2000), true);
    assert.deepEqual(server.errors(), []);
    const events = server.events();
    const edited = events.find((e: any) => e.logentry?.formatted === 'edited');
    const untouched = events.find((e: any) => e.logentry?.formatted === 'untouched');
    assert.equal(edited.contexts.os.edited, 'yes');
    for (const key of ['runtime', 'os', 'device', 'app', 'culture']) {
      assert.equal(untouched.contexts[key].edited, undefined, `${key} of the next event is not edited`);
    }
    assert.deepEqual(untouched.contexts.runtime, { name: 'node', version: process.version });
  });

  test('each context can be switched off', async () => {
    faultline.init({
      dsn: server.dsn,
      defaultIntegrations: false,
      integrations: [nodeContextIntegration({ device: false, culture: false, os: false, app: false })],
    });
    faultline.captureMessage('bare');
    await faultline.flush(2000);
    const [event] = server.events();
    assert.deepEqual(Object.keys(event.contexts).sort(), ['runtime', 'trace']);
  });

  test('cloud_resource from the environment', () => {
    assert.equal(detectCloudResource({}), undefined);
    assert.deepEqual(detectCloudResource({ AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'eu-west-1' }), {
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': 'eu-west-1',
    });
    assert.equal(detectCloudResource({ K_SERVICE: 'api', K_REVISION: 'api-1' })?.['cloud.platform'], 'gcp_cloud_run');
    // Cloud Functions gen2 also sets K_SERVICE: the more specific platform wins.
    assert.equal(detectCloudResource({ K_SERVICE: 'f', FUNCTION_TARGET: 'handler' })?.['cloud.platform'], 'gcp_cloud_functions');
    assert.deepEqual(detectCloudResource({ VERCEL: '1', VERCEL_REGION: 'iad1' }), {
      'cloud.provider': 'vercel',
      'cloud.platform': 'vercel',
      'cloud.region': 'iad1',
    });
    assert.equal(detectCloudResource({ FUNCTIONS_WORKER_RUNTIME: 'node' })?.['cloud.platform'], 'azure_functions');
    assert.equal(detectCloudResource({ FLY_APP_NAME: 'a', FLY_REGION: 'ams' })?.['cloud.region'], 'ams');
    assert.equal(detectCloudResource({ DYNO: 'web.1' })?.['cloud.provider'], 'heroku');
  });

  test('cloud_resource reaches the event and validates', async () => {
    const saved = process.env['AWS_LAMBDA_FUNCTION_NAME'];
    process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'checkout';
    process.env['AWS_REGION'] ??= 'us-east-1';
    try {
      const { contexts } = await sendOne();
      assert.equal(contexts.cloud_resource['cloud.platform'], 'aws_lambda');
    } finally {
      if (saved === undefined) delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
      else process.env['AWS_LAMBDA_FUNCTION_NAME'] = saved;
    }
  });

  test('os-release parsing handles quotes and escapes', () => {
    assert.deepEqual(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID=12\n# comment\nPRETTY_NAME=\'x \\"y\\"\'\n'), {
      NAME: 'Debian GNU/Linux',
      VERSION_ID: '12',
      PRETTY_NAME: 'x "y"',
    });
  });
});

describe('modules', () => {
  test('lists loaded packages with their versions on the event', async () => {
    const ajvVersion = JSON.parse(fs.readFileSync('node_modules/ajv/package.json', 'utf8')).version;
    // The test server's protocol kit loads ajv with require() underneath, so it is in require.cache.
    createRequire(import.meta.url)('@jridgewell/trace-mapping');
    const event = await sendOne();
    assert.equal(event.modules['ajv'], ajvVersion);
    // faultline itself has no runtime dependency to declare (trace-mapping is bundled), so a scoped
    // package is loaded here with require(), as an app would, and must be listed by its full name.
    const traceMapping = JSON.parse(fs.readFileSync('node_modules/@jridgewell/trace-mapping/package.json', 'utf8'));
    assert.equal(event.modules['@jridgewell/trace-mapping'], traceMapping.version, 'loaded package, scoped name');
    for (const v of Object.values(event.modules)) assert.equal(typeof v, 'string');
  });

  test('the list is frozen and shared: edited in place it stays as it was, replaced it changes that event only', async () => {
    let editError: unknown;
    const frozenInBeforeSend: boolean[] = [];
    faultline.init({
      dsn: server.dsn,
      defaultIntegrations: false,
      integrations: [modulesIntegration()],
      beforeSend(event) {
        frozenInBeforeSend.push(Object.isFrozen(event.modules));
        return event;
      },
    });
    faultline.withScope((scope) => {
      scope.addEventProcessor((event) => {
        try {
          event.modules!['edited-in-place'] = '1.0.0';
        } catch (err) {
          editError = err;
        }
        return event;
      });
      faultline.captureException(new Error('edits the list in place'));
    });
    faultline.withScope((scope) => {
      scope.addEventProcessor((event) => ({ ...event, modules: { ...event.modules, 'replaced-for-one': '2.0.0' } }));
      faultline.captureException(new Error('replaces the list'));
    });
    faultline.captureException(new Error('after both'));
    assert.equal(await faultline.flush(2000), true);
    assert.deepEqual(server.errors(), []);
    assert.ok(editError instanceof TypeError, 'an edit in place throws (ES modules are strict)');
    // beforeSend gets the shared list itself, or the event's own copy of a replaced one.
    assert.deepEqual(frozenInBeforeSend, [true, false, true]);
    const [edited, replaced, after] = server.events();
    for (const event of [edited, replaced, after]) assert.equal(event.modules['edited-in-place'], undefined);
    assert.equal(replaced.modules['replaced-for-one'], '2.0.0');
    assert.equal(after.modules['replaced-for-one'], undefined);
    assert.deepEqual(after.modules, edited.modules);
    assert.ok(Object.keys(after.modules).length > 0);
  });

  test('the collector reads the module cache and declared dependencies, and refreshes only when it grew', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-modules-'));
    try {
      const pkg = (dir: string, json: object) => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json));
      };
      pkg(root, { name: 'app', dependencies: { declared: '^1.0.0', missing: '^2.0.0' }, devDependencies: { devonly: '1' } });
      pkg(path.join(root, 'node_modules/declared'), { version: '1.4.2' });
      pkg(path.join(root, 'node_modules/devonly'), { version: '9.9.9' });
      pkg(path.join(root, 'node_modules/@scope/lib'), { version: '3.0.1' });
      pkg(path.join(root, 'node_modules/outer/node_modules/inner'), { version: '0.0.7' });
      pkg(path.join(root, 'node_modules/outer'), { version: '5.0.0' });
      const cache: Record<string, unknown> = {
        [path.join(root, 'src/main.js')]: {},
        [path.join(root, 'node_modules/@scope/lib/dist/index.js')]: {},
      };
      const collector = createModuleCollector({ root, cache, refreshMs: 0 });
      const first = collector.get();
      assert.deepEqual(first, { '@scope/lib': '3.0.1', declared: '1.4.2' });
      assert.ok(Object.isFrozen(first));
      assert.equal(collector.get(), first, 'unchanged cache: the same object, nothing re-read');
      cache[path.join(root, 'node_modules/outer/node_modules/inner/index.js')] = {};
      cache[path.join(root, 'node_modules/outer/lib/a.js')] = {};
      assert.deepEqual(collector.get(), { '@scope/lib': '3.0.1', declared: '1.4.2', inner: '0.0.7', outer: '5.0.0' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
