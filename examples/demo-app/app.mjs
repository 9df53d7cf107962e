// A small web service that uses faultline as an application would: an HTTP API with users and
// requests, errors with causes, messages with tags and fingerprints, a console breadcrumb trail,
// and finally an unhandled rejection. `npm start` runs it against the local collector.
import * as http from 'node:http';
import * as faultline from 'faultline';

faultline.init({
  collector: true, // no DSN: send to the faultline-collector on this machine
  release: 'demo-shop@1.4.2',
  environment: 'development',
  includeLocalVariables: true,
});

class PaymentDeclinedError extends Error {
  name = 'PaymentDeclinedError';
}

async function chargeCard(user, amount) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (amount > 100) {
    const gatewayError = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    throw new PaymentDeclinedError(`card of ${user} declined for ${amount} EUR`, { cause: gatewayError });
  }
  return { ok: true };
}

function renderProfile(profile) {
  return `<h1>${profile.displayName.trim()}</h1>`; // profile.displayName may be missing
}

const routes = {
  '/checkout': async (user, params) => {
    console.info(`checkout started for ${user}`);
    const amount = Number(params.get('amount') ?? 20);
    const password = 'not-in-the-event'; // local variables named like secrets are scrubbed
    await chargeCard(user, amount, password);
    return 'paid';
  },
  '/profile': async (user) => {
    console.log(`loading profile of ${user}`);
    return renderProfile({ name: user });
  },
  '/report': async (user) => {
    console.warn('report generation is slow today');
    faultline.captureMessage('Nightly report took longer than 30 s', 'warning', {
      tags: { job: 'nightly-report' },
      fingerprint: ['nightly-report-slow'],
      extra: { requestedBy: user },
    });
    return 'report queued';
  },
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://demo.local');
  const user = url.searchParams.get('user') ?? 'anonymous';
  faultline.setUser({ id: user, username: user });
  faultline.setTag('route', url.pathname);
  const route = routes[url.pathname];
  try {
    const body = route ? await route(user, url.searchParams) : 'not found';
    res.writeHead(route ? 200 : 404).end(body);
  } catch (error) {
    console.error(`request failed: ${error.message}`);
    faultline.captureException(error);
    res.writeHead(500).end('something went wrong');
  }
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const users = ['ada', 'grace', 'linus', 'margaret', 'ken'];
  const paths = ['/checkout?amount=20', '/checkout?amount=250', '/profile', '/report', '/checkout?amount=120'];
  let i = 0;
  for (const path of paths) {
    for (const user of users) {
      const sep = path.includes('?') ? '&' : '?';
      const res = await fetch(`http://127.0.0.1:${port}${path}${sep}user=${user}${i++}`);
      await res.text();
    }
  }
  server.close();
  const delivered = await faultline.flush(5000);
  console.log(`demo traffic sent (${i} requests); everything delivered: ${delivered}`);
  // The last act: a promise nobody handles. Node crashes on it by default, and faultline keeps
  // that behaviour: the event is delivered first, then the process exits with code 1.
  Promise.reject(new Error('cache warm-up failed: nobody handled this rejection'));
});
