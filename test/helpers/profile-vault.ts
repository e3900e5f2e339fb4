// A profile's record as the profile sees it, for tests to read: its own keychain item with the
// IdP session it uses filled in. (usecases/idp-session.ts keeps a session that profiles share in
// an item of its own, which the profile's item names.) What a test writes goes to the profile's
// own item as written, so a session a test writes is the profile's own, the shape from before
// sharing, which lakekey still reads and renews the same way.
import { Vault } from '../../main/core/keychain/vault.js';
import type { SecretRecord } from '../../main/core/keychain/record.js';

export class ProfileVault extends Vault {
  override async read(name: string): Promise<SecretRecord> {
    const own = await super.read(name);
    if (own.idp || !own.session) return own;
    const shared = await super.read(own.session);
    return shared.idp ? { ...own, idp: shared.idp } : own;
  }
}
