// The one in-memory SecretStore for every test that is not about the real keychain (GitHub
// Desktop's accounts-store tests take an in-memory ISecureStore the same way). Faithful to the
// port: get/set/delete/list, every call asynchronous (concurrent callers interleave at each call, as
// they do against a real keychain), and an item size limit that refuses what a limited keychain
// (Windows' Credential Manager) would. The tests of the keychain itself use the real Secret
// Service and the kernel keyring (test/integration/secret-service*.test.ts and vault-secret-service.test.ts,
// test/unit/core/kernel-keyring.test.ts).
import type { SecretStore } from '../../main/core/ports.js';

export class MemoryStore implements SecretStore {
  readonly items = new Map<string, string>();
  /** Every write and delete in order ("set ACCOUNT", "delete ACCOUNT"), for tests of what is written when. */
  readonly writes: string[] = [];
  /** When it returns true for a set, that set throws and stores nothing: a crash at that step. */
  failSet?: (account: string) => boolean;

  /**
   * `interleave`: each call first waits 0 to 4 turns of the event loop, a different number each
   * time, so that concurrent callers overlap the way they do against a keychain daemon (for the
   * tests of races; off by default, where a test steps a fake clock).
   */
  constructor(
    readonly maxItemBytes = Infinity,
    private readonly opts: { interleave?: boolean } = {},
  ) {}

  /** xorshift32 state: the waits look random yet are the same on every run. */
  private seed = 0x9e3779b9;

  private async turn(): Promise<void> {
    if (!this.opts.interleave) return;
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    for (let n = (this.seed >>> 0) % 5; n > 0; n--) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async get(account: string): Promise<string | null> {
    await this.turn();
    return this.items.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    await this.turn();
    if (Buffer.byteLength(secret) > this.maxItemBytes) throw new Error(`item ${account} is larger than ${this.maxItemBytes} bytes`);
    if (this.failSet?.(account)) throw new Error(`crashed before writing ${account}`);
    this.items.set(account, secret);
    this.writes.push(`set ${account}`);
  }

  async delete(account: string): Promise<boolean> {
    await this.turn();
    this.writes.push(`delete ${account}`);
    return this.items.delete(account);
  }

  async list(prefix: string): Promise<string[]> {
    await this.turn();
    return [...this.items.keys()].filter((a) => a.startsWith(prefix));
  }
}
