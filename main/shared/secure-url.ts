// "https, except on this machine": the rule every server URL a profile names must meet (DESIGN §3),
// once. The core's settings parser, the login's insecure-request opt-out, the window's navigation
// guard and the renderer's checks as you type all ask it. Node-free (lint-enforced): the renderer
// imports it too.

/** 127.0.0.0/8, [::1] and localhost: a URL whose traffic never leaves the machine. */
export function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** https, or plain http to a loopback host. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url));
}
