import { createHash, randomBytes } from 'node:crypto';
import type { Clock, DatabaseHandle, Principal, Role } from '@rfid3/core';
import { ROLES, sqlDateTime, systemClock } from '@rfid3/core';

/** `rfid3_<8 hex prefix>_<43-char secret>`; the prefix identifies a key in lists and logs without revealing it. */
const KEY_PATTERN = /^rfid3_[0-9a-f]{8}_[A-Za-z0-9_-]{32,}$/;

/** Writing last_used_at on every request would turn each read into a write; once a minute is enough to see use. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** An API key as stored: its name, role, prefix, dates and approval ceiling (never the key itself). */
export interface ApiKeyRecord {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Largest amount the key may approve or execute, in dollars; null: no ceiling of its own. */
  approveLimitUsd: number | null;
}

/** A newly created API key, with its plaintext shown this once. */
export interface CreatedApiKey extends ApiKeyRecord {
  /** The plaintext key; it is not stored and cannot be shown again. */
  key: string;
}

/** Whether a string is one of the API key roles. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** API keys in core's `rfid3_api_keys` table: only a SHA-256 hash and the prefix are stored. */
export class ApiKeyStore {
  private readonly database: DatabaseHandle;
  private readonly clock: Clock;

  constructor(options: { database: DatabaseHandle; clock?: Clock }) {
    this.database = options.database;
    this.clock = options.clock ?? systemClock;
  }

  /** Creates a key with a name and role; the plaintext key is returned once and not stored. */
  async create(name: string, role: Role, options: { approveLimitUsd?: number | null } = {}): Promise<CreatedApiKey> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw new RangeError('key name must be 1 to 100 characters');
    if (!isRole(role)) throw new RangeError(`role '${String(role)}' is not one of ${ROLES.join(', ')}`);
    const approveLimitUsd = options.approveLimitUsd ?? null;
    if (approveLimitUsd !== null && !(Number.isFinite(approveLimitUsd) && approveLimitUsd >= 0))
      throw new RangeError('the approval ceiling must be a non-negative amount of dollars');
    const prefix = randomBytes(4).toString('hex');
    const key = `rfid3_${prefix}_${randomBytes(32).toString('base64url')}`;
    const createdAt = sqlDateTime(this.clock.now());
    const inserted = await this.database.db
      .insertInto('rfid3_api_keys')
      .values({ name: trimmed, role, key_prefix: prefix, key_hash: hashKey(key), created_at: createdAt, last_used_at: null, revoked_at: null, approve_limit_usd: approveLimitUsd })
      .executeTakeFirstOrThrow();
    const id = Number(inserted.insertId);
    return { id, name: trimmed, role, prefix, createdAt, lastUsedAt: null, revokedAt: null, approveLimitUsd, key };
  }

  /** The principal a key stands for, or null when it is unknown, malformed or revoked. */
  async verify(key: string): Promise<Principal | null> {
    const candidate = key.trim();
    if (!KEY_PATTERN.test(candidate)) return null;
    // Looking up by hash leaks nothing useful through timing: an attacker cannot steer a SHA-256 digest.
    const row = await this.database.db.selectFrom('rfid3_api_keys').selectAll().where('key_hash', '=', hashKey(candidate)).executeTakeFirst();
    if (!row || row.revoked_at !== null || !isRole(row.role)) return null;
    const now = this.clock.now();
    const lastUsed = row.last_used_at ? Date.parse(`${row.last_used_at.replace(' ', 'T')}Z`) : Number.NaN;
    if (!(now.getTime() - lastUsed < LAST_USED_RESOLUTION_MS)) {
      await this.database.db
        .updateTable('rfid3_api_keys')
        .set({ last_used_at: sqlDateTime(now) })
        .where('id', '=', row.id)
        .execute();
    }
    return { keyId: String(row.id), name: row.name, role: row.role, approveLimitUsd: row.approve_limit_usd === null ? null : Number(row.approve_limit_usd) };
  }

  /** Every key, revoked ones included (without their secrets). */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.database.db
      .selectFrom('rfid3_api_keys')
      .select(['id', 'name', 'role', 'key_prefix', 'created_at', 'last_used_at', 'revoked_at', 'approve_limit_usd'])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      role: r.role as Role,
      prefix: r.key_prefix,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      approveLimitUsd: r.approve_limit_usd === null ? null : Number(r.approve_limit_usd),
    }));
  }

  /** Revokes a key; returns it, or null when no key has that id. Revoking twice keeps the first time. */
  async revoke(id: number): Promise<ApiKeyRecord | null> {
    await this.database.db
      .updateTable('rfid3_api_keys')
      .set({ revoked_at: sqlDateTime(this.clock.now()) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return (await this.list()).find((k) => k.id === id) ?? null;
  }
}
