// The browser login (RFC 8252): a loopback receiver, the system browser, and one authorization
// request per grant (login-grants.ts) in the same tab. Returns what it redeemed; storing it is
// the caller's (login.ts).
import { sayDuration } from '../../shared/duration.js';
import { probeAuthorization } from './authorization-probe.js';
import { asLakekeyError } from '../errors.js';
import { refusalError } from './idp-refusal.js';
import { idpConfig } from './idp-config.js';
import { writeLaunchPage, type LaunchPage } from './launch-page.js';
import { authorizationFor, grantsFor, redeem, type Redeemed } from './login-grants.js';
import type { Profile } from '../config/settings.js';
import type { Context, LoginOptions } from '../ports.js';
import { DEFAULT_LOGIN_TIMEOUT_SECONDS } from '../../shared/limits.js';

export async function browserLogin(ctx: Context, name: string, profile: Profile, opts: LoginOptions): Promise<Redeemed> {
  const timeoutMs = (opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000;
  const config = await idpConfig(ctx, name, profile);
  // Before the receiver and the browser: an IdP that cannot prompt for another account is said at once.
  const { accountRequest } = await import('./oidc.js');
  let account = accountRequest(config, opts);
  const refusals = refusalSummary(ctx);
  const receiver = await ctx.loopback(profile.redirectPort, { onRefused: refusals.add, peer: ctx.peer });
  const grants = grantsFor(profile);
  let redeemed: Redeemed = {};
  let page: LaunchPage | undefined;
  try {
    let request = await authorizationFor(grants[0], config, profile, receiver.redirectUri, account);
    // An IdP that lists no prompt values may still refuse select_account (oidc-provider does): then sign in again instead.
    const guessed = account.prompt === 'select_account' && account.unlisted === true;
    if ((await checkAuthorization(ctx, name, profile, request.url, receiver.redirectUri, { promptRefusal: guessed })) === 'prompt-refused') {
      account = { ...account, prompt: 'login' };
      ctx.log.info('login.prompt-fallback', { profile: name, prompt: 'login' });
      request = await authorizationFor(grants[0], config, profile, receiver.redirectUri, account);
      await checkAuthorization(ctx, name, profile, request.url, receiver.redirectUri);
    }
    let callback = receiver.waitForCallback(request.state, timeoutMs);
    page = announce(ctx, name, profile, receiver.launch(request.url.href), timeoutMs, opts);
    ctx.log.info('login.waiting', { profile: name, grants: grants.join('+'), prompt: account.prompt ?? 'none', loginHint: Boolean(account.loginHint) });
    for (let i = 0; i < grants.length; i++) {
      const result = await callback;
      try {
        redeemed = await redeem(ctx, grants[i], profile, config, result.url, request, receiver.redirectUri, redeemed);
        const next = grants[i + 1];
        if (next) {
          // Forward the same tab to the next authorization; the IdP session makes it silent.
          request = await authorizationFor(next, config, profile, receiver.redirectUri);
          callback = receiver.waitForCallback(request.state, timeoutMs);
          result.respond({
            status: 302,
            title: 'Signing you in to lakeFS…',
            message: 'One more step; this tab continues by itself.',
            redirectTo: receiver.launch(request.url.href),
          });
        } else {
          result.respond({ status: 200, title: 'You are logged in', message: `lakekey has signed you in for profile "${name}". You can close this tab.` });
        }
      } catch (err) {
        const e = asLakekeyError(err);
        result.respond({ status: 502, title: 'Login failed', message: `${e.message}. ${e.hint ?? ''}`.trim() });
        throw e;
      }
    }
  } finally {
    page?.remove();
    await receiver.close();
    refusals.flush();
  }
  return redeemed;
}

/** The probe's bound: a few seconds at most, so a slow IdP delays the browser only a little. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Stops the login before the browser opens when the IdP already refuses the request (a bad
 * client id, redirect URI or scope), in the IdP's own words; see authorization-probe.ts for why
 * the probe cannot harm the real request and never stops a login that could work.
 */
async function checkAuthorization(
  ctx: Context,
  name: string,
  profile: Profile,
  url: URL,
  redirectUri: string,
  opts: { promptRefusal?: boolean } = {},
): Promise<'prompt-refused' | undefined> {
  const answer = await probeAuthorization(ctx.fetch, url, redirectUri, Math.min(PROBE_TIMEOUT_MS, ctx.limits.httpTimeoutMs));
  ctx.log.info('login.probe', { profile: name, answer: answer.verdict === 'proceed' ? answer.seen : 'refused' });
  // The one refusal the caller handles itself: the prompt value (`invalid_request` naming it, as oidc-provider says).
  if (opts.promptRefusal && answer.verdict === 'refused' && answer.error === 'invalid_request' && /\bprompt\b/i.test(answer.description))
    return 'prompt-refused';
  if (answer.verdict === 'refused') {
    throw refusalError(answer.error, answer.description, { name, clientId: profile.clientId, during: 'the login request', redirectUri });
  }
}

/**
 * Refused attempts said once each, then counted: someone flooding the receiver must not flood the
 * user's terminal (security round 3), but the user still learns how many there were.
 */
function refusalSummary(ctx: Context): { add: (text: string) => void; flush: () => void } {
  const said = new Set<string>();
  let more = 0;
  return {
    add(text) {
      if (said.has(text)) more++;
      else {
        said.add(text);
        ctx.notice(`lakekey: ${text}.`);
      }
    },
    flush() {
      if (more) ctx.notice(`lakekey: refused ${more} more request${more === 1 ? '' : 's'} like ${said.size === 1 ? 'that' : 'those'} during this login.`);
    },
  };
}

/** Opens the browser on a private page that forwards to `launchUrl` (or prints the link); returns that page. */
function announce(ctx: Context, name: string, profile: Profile, launchUrl: string, timeoutMs: number, opts: LoginOptions): LaunchPage | undefined {
  const wait = sayDuration(timeoutMs / 1000);
  if (!opts.noBrowser && ctx.browser.available(profile.browser)) {
    // The browser's command line shows only the page's file name, never the launch path.
    const page = writeLaunchPage(ctx.dir, launchUrl, ctx.clock.now());
    ctx.browser.open(page.url, profile.browser).then(
      () => {
        ctx.notice(`lakekey: log in for profile "${name}" in the browser window that opened (waiting up to ${wait}; Ctrl-C to stop).`);
        ctx.notice(`lakekey: if no browser opened, visit ${launchUrl} on this computer.`);
      },
      (err: unknown) => {
        ctx.notice(`lakekey: ${asLakekeyError(err).message.replace(/^unexpected error: /, '')}.`);
        ctx.notice(
          profile.browser
            ? `lakekey: check the profile's browser (\`lakekey profile set ${name} --browser CMD\`, or \`--unset browser\` for the default).`
            : "lakekey: check LAKEKEY_BROWSER, or your desktop's default web browser setting.",
        );
        ctx.notice(`lakekey: meanwhile, open ${launchUrl} in a browser on this computer (waiting up to ${wait}; Ctrl-C to stop).`);
      },
    );
    return page;
  } else {
    ctx.notice(`lakekey: to log in for profile "${name}", open ${launchUrl} in a browser on this computer (waiting up to ${wait}; Ctrl-C to stop).`);
    if (!profile.lakefs) ctx.notice(`lakekey: on a remote machine (SSH), stop this and run \`lakekey login ${name} --device\` instead.`);
    else {
      // lakeFS redeems an authorization code, which only this loopback redirect produces: over SSH
      // the desktop's browser reaches it through a forwarded port, the same number on both ends
      // (the receiver checks the Host header, and the IdP redirects to this very port).
      const port = new URL(launchUrl).port;
      const fixed = profile.redirectPort ? '' : ` (\`lakekey profile set ${name} --redirect-port ${port}\` keeps this port for the next logins)`;
      ctx.notice(
        `lakekey: on a remote machine (SSH), forward this port from your desktop with \`ssh -L ${port}:127.0.0.1:${port} HOST\` and open the link in the desktop's browser${fixed}.`,
      );
    }
    return undefined;
  }
}
