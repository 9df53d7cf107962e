// contexts.culture is read from the environment (cheap) instead of Intl (20 ms, 8 MiB of ICU
// data): in child processes with various locale and zone settings, it must say what Intl says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const culture = fileURLToPath(new URL('../../src/node/contexts/culture.ts', import.meta.url));
const script = `
  const { cultureContext } = await import(${JSON.stringify(culture)});
  const ours = cultureContext();
  const intl = Intl.DateTimeFormat().resolvedOptions();
  console.log(JSON.stringify({ ours, intl: { locale: intl.locale, timezone: intl.timeZone } }));
`;

const cases: Array<Record<string, string>> = [
  {},
  { LANG: 'C.UTF-8' },
  { LANG: 'de_AT.UTF-8', TZ: 'Europe/Vienna' },
  { LANG: 'fr_FR.UTF-8', LC_ALL: 'en_GB.UTF-8', TZ: ':America/New_York' },
  { LANG: 'ja_JP', TZ: 'Asia/Tokyo' },
  { LANG: 'POSIX', TZ: 'UTC' },
];

for (const extra of cases) {
  test(`culture matches Intl with ${JSON.stringify(extra)}`, () => {
    const env: Record<string, string | undefined> = { ...process.env, ...extra };
    for (const key of ['LANG', 'LC_ALL', 'LC_MESSAGES', 'TZ']) if (!(key in extra)) delete env[key];
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8' });
    const { ours, intl } = JSON.parse(out.trim().split('\n').pop()!);
    assert.deepEqual(ours, intl);
  });
}
