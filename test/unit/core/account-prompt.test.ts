// Logging in as another account (issue 24): which OIDC prompt value asks the IdP for it, from the
// discovery document's prompt_values_supported, and the authorization URL it goes into.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { LakekeyError } from '../../../main/core/errors.js';
import { accountPrompt, accountRequest, authorizationRequest } from '../../../main/core/login/oidc.js';

const config = (extra: Record<string, unknown>) =>
  new client.Configuration({ issuer: 'https://idp.example.com', authorization_endpoint: 'https://idp.example.com/auth', ...extra }, 'lakekey');

test('select_account where listed, login where only that is, select_account (a guess) where nothing is listed, none where neither is', () => {
  assert.equal(accountPrompt({ prompt_values_supported: ['none', 'login', 'consent', 'select_account'] }), 'select_account');
  assert.equal(accountPrompt({ prompt_values_supported: ['none', 'login', 'consent'] }), 'login');
  assert.equal(accountPrompt({}), 'select_account');
  assert.equal(accountPrompt({ prompt_values_supported: ['none', 'consent'] }), undefined);
  assert.deepEqual(accountRequest(config({}), { selectAccount: true }), { prompt: 'select_account', unlisted: true });
  assert.deepEqual(accountRequest(config({ prompt_values_supported: ['login'] }), { selectAccount: true, loginHint: 'bob' }), {
    prompt: 'login',
    loginHint: 'bob',
  });
  assert.deepEqual(accountRequest(config({}), { loginHint: 'bob' }), { loginHint: 'bob' }, 'a hint alone asks for no prompt');
  assert.deepEqual(accountRequest(config({}), {}), {});
});

test('an IdP that supports neither prompt value: exit 2 naming --select-account, what it lists, and what to do', () => {
  assert.throws(
    () => accountRequest(config({ prompt_values_supported: ['none', 'consent'] }), { selectAccount: true }),
    (e: unknown) =>
      e instanceof LakekeyError &&
      e.exitCode === 2 &&
      /^--select-account: the identity provider at https:\/\/idp\.example\.com supports neither prompt=select_account nor prompt=login \(its discovery document lists: none, consent\)$/.test(
        e.message,
      ) &&
      /--login-hint USER/.test(e.hint ?? ''),
  );
});

test('the authorization URL carries the account prompt beside consent, and login_hint; without them only consent', async () => {
  const c = config({});
  const scopes = ['openid', 'offline_access'];
  const chosen = await authorizationRequest(c, {
    redirectUri: 'http://127.0.0.1:1/callback',
    scopes,
    account: { prompt: 'select_account', loginHint: 'bob@example.com' },
  });
  assert.equal(chosen.url.searchParams.get('prompt'), 'select_account consent');
  assert.equal(chosen.url.searchParams.get('login_hint'), 'bob@example.com');
  const plain = await authorizationRequest(c, { redirectUri: 'http://127.0.0.1:1/callback', scopes });
  assert.equal(plain.url.searchParams.get('prompt'), 'consent');
  assert.equal(plain.url.searchParams.has('login_hint'), false);
  const noOffline = await authorizationRequest(c, { redirectUri: 'http://127.0.0.1:1/callback', scopes: ['openid'], account: { prompt: 'login' } });
  assert.equal(noOffline.url.searchParams.get('prompt'), 'login');
});
