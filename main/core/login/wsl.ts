// WSL (Windows Subsystem for Linux): whether lakekey runs in it, and whether the Windows browser
// a login opens there can reach lakekey's loopback callback. Pure: compose.ts reads /proc,
// WSL_DISTRO_NAME, binfmt_misc and Windows' .wslconfig and hands over what it found.
// Untested on a real WSL 2 (none on the machines this is built on): see the README.

export interface WslInfo {
  /** 1 or 2: WSL 1 shares Windows' network, WSL 2 is a VM whose loopback Windows reaches by forwarding. */
  version: 1 | 2;
  /** WSL_DISTRO_NAME, for \\wsl$\DISTRO paths when wslpath is missing. */
  distro?: string;
  /** Windows programs can be started from Linux (binfmt_misc's WSLInterop). */
  interop: boolean;
}

/**
 * Whether this Linux is WSL: WSL_DISTRO_NAME, /proc/version (WSL's kernels say "microsoft"; WSL 2's
 * "microsoft-standard-WSL2"), or /proc/sys/fs/binfmt_misc/WSLInterop.
 */
export function detectWsl(facts: { env: NodeJS.ProcessEnv; procVersion?: string; interop: boolean }): WslInfo | undefined {
  const version = facts.procVersion ?? '';
  if (!/microsoft/i.test(version) && !facts.env.WSL_DISTRO_NAME && !facts.interop) return undefined;
  // WSL 1's kernel string is "4.4.0-19041-Microsoft" (capital M, no WSL2); anything else is WSL 2, the default today.
  const v: 1 | 2 = /Microsoft/.test(version) && !/WSL2|microsoft-standard/i.test(version) ? 1 : 2;
  return { version: v, interop: facts.interop, ...(facts.env.WSL_DISTRO_NAME ? { distro: facts.env.WSL_DISTRO_NAME } : {}) };
}

/** What `.wslconfig` (in the Windows user's folder) says about WSL 2's network, from its [wsl2] section. */
export function wslNetworkSettings(text: string): { networkingMode?: string; localhostForwarding?: boolean } {
  const out: { networkingMode?: string; localhostForwarding?: boolean } = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1].trim().toLowerCase();
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (!kv || section !== 'wsl2') continue;
    const key = kv[1].trim().toLowerCase();
    const value = kv[2].trim().replace(/^"(.*)"$/, '$1');
    if (key === 'networkingmode') out.networkingMode = value.toLowerCase();
    if (key === 'localhostforwarding') out.localhostForwarding = !/^(false|0|no|off)$/i.test(value);
  }
  return out;
}

export interface WslFinding {
  status: 'ok' | 'info' | 'warn';
  words: string;
  fix?: string;
}

/**
 * Whether the Windows browser reaches the loopback callback (http://127.0.0.1:PORT/callback) of a
 * lakekey in WSL. `wslconfig` is the .wslconfig found (absent: none there), or why it could not be read.
 */
export function wslCallbackFinding(info: WslInfo, wslconfig: { path: string; text?: string; problem?: string }): WslFinding {
  const offWays =
    'give the profile a Linux browser under WSLg (`lakekey profile set NAME --browser firefox`), or for S3-only profiles log in with `lakekey login NAME --device`';
  if (!info.interop) {
    return {
      status: 'warn',
      words: 'WSL cannot start Windows programs here (interop is off), so a login cannot open the Windows browser',
      fix: `Turn interop on ([interop] enabled=true in /etc/wsl.conf, then \`wsl --shutdown\` in Windows), or ${offWays}, or use \`lakekey login NAME --no-browser\` and open the link it prints.`,
    };
  }
  if (info.version === 1) return { status: 'ok', words: "WSL 1 shares Windows' network: the Windows browser reaches lakekey's loopback callback" };
  if (wslconfig.problem) {
    return {
      status: 'info',
      words: `WSL 2: logins open the Windows browser, which reaches lakekey's callback on 127.0.0.1 through WSL's localhost forwarding (on by default); ${wslconfig.problem}`,
      fix: `If your .wslconfig sets localhostForwarding=false, remove that line (or use networkingMode=mirrored), then run \`wsl --shutdown\` in Windows; or ${offWays}.`,
    };
  }
  const net = wslNetworkSettings(wslconfig.text ?? '');
  if (net.networkingMode === 'mirrored') {
    return { status: 'ok', words: `WSL 2 with mirrored networking (${wslconfig.path}): the Windows browser reaches lakekey's callback on 127.0.0.1` };
  }
  if (net.localhostForwarding === false) {
    return {
      status: 'warn',
      words: `WSL 2 with localhostForwarding=false in ${wslconfig.path}: the Windows browser cannot reach lakekey's login callback on 127.0.0.1, so browser logins (and every lakeFS login) fail`,
      fix: `Remove localhostForwarding=false from ${wslconfig.path} (or set networkingMode=mirrored on Windows 11 22H2 or later), then run \`wsl --shutdown\` in Windows; or ${offWays}.`,
    };
  }
  return {
    status: 'ok',
    words: `WSL 2: logins open the Windows browser, which reaches lakekey's callback on 127.0.0.1 through WSL's localhost forwarding (${wslconfig.text === undefined ? `no ${wslconfig.path}: the default, on` : `on in ${wslconfig.path}`})`,
  };
}
