import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';

export interface Project {
  id: number;
  name: string;
  publicKey: string;
}

/**
 * The key an SDK uses for "send to the local collector" without knowing its DSN (faultline's
 * `collector: true`, like Sentry's Spotlight). Accepted for the default project only when the
 * collector listens on a loopback address. The SDK holds the same constant (src/node/collector-dsn.ts).
 */
export const LOCAL_DEVELOPMENT_KEY = 'fa01171e0c011ec70000000000000001';

/** Projects and their public keys. Keys are looked up on every request, so they are cached in memory. */
export class ProjectRegistry {
  private readonly keyToProject = new Map<string, number>();
  /** Set when the collector listens on loopback only (see LOCAL_DEVELOPMENT_KEY). */
  acceptLocalDevelopmentKey = false;

  constructor(private readonly db: Db) {
    for (const row of db.prepare('SELECT public_key, project_id FROM project_keys').all() as { public_key: string; project_id: number }[]) {
      this.keyToProject.set(row.public_key, row.project_id);
    }
  }

  /** The default project (id 1) with one key, created on first start. */
  ensureDefault(): Project {
    const existing = this.list().find((project) => project.id === 1);
    return existing ?? this.create('default', 1);
  }

  create(name: string, id?: number): Project {
    const publicKey = randomBytes(16).toString('hex');
    const now = Date.now() / 1000;
    const projectId = this.db.transaction(() => {
      const result = this.db.prepare('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)').run(id ?? null, name, now);
      const newId = Number(result.lastInsertRowid);
      this.db.prepare('INSERT INTO project_keys (public_key, project_id, created_at) VALUES (?, ?, ?)').run(publicKey, newId, now);
      return newId;
    })();
    this.keyToProject.set(publicKey, projectId);
    return { id: projectId, name, publicKey };
  }

  /** The project a key belongs to, or undefined when the key is unknown. */
  projectOfKey(publicKey: string): number | undefined {
    if (publicKey === LOCAL_DEVELOPMENT_KEY && this.acceptLocalDevelopmentKey) return 1;
    return this.keyToProject.get(publicKey);
  }

  list(): Project[] {
    return this.db
      .prepare(
        `SELECT p.id, p.name, min(k.public_key) AS publicKey FROM projects p
         JOIN project_keys k ON k.project_id = p.id GROUP BY p.id ORDER BY p.id`,
      )
      .all() as Project[];
  }

  findByName(name: string): Project | undefined {
    return this.list().find((project) => project.name === name);
  }
}
