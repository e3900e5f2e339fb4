// The settings window: list, add, edit and remove profiles, check them against the IdP and STS,
// show each profile's status with its actions, and the snippets to wire tools. Plain DOM: every
// node is built with createElement and textContent (no innerHTML), and everything goes through
// `window.lakekey`, the preload's typed API. This page never receives a secret.
//
// It updates itself: main sends `profiles:changed` when sessions, settings or renewals change
// (and when the minute turns, so "valid 59 min" stays true), and the page asks for the list
// again. Times come from main already worded (TimeLeft.says), so the tray and the window say
// them the same way.
import {
  ENDPOINT_AFTER_LOGOUT,
  type CheckFinding,
  type CheckResult,
  type DraftField,
  type FieldError,
  type ImportEntry,
  type ImportOutcome,
  type ImportPlanView,
  type IpcError,
  type Outcome,
  type ProfileDraft,
  type ProfileView,
  type Snippets,
  type TimeLeft,
} from '../../main/ipc.js';
import { logOutLabel } from '../../main/shared/say-list.js';
import { checkDraft } from './validate.js';

const api = window.lakekey;

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLUListElement>('profile-list');
const detail = $<HTMLElement>('detail');
const toast = $<HTMLDivElement>('toast');

let profiles: ProfileView[] = [];
let selected: string | undefined;
/** The form or an import's plan is open: an update refreshes the list only, never what the user is in the middle of. */
let editing = false;

async function call<T>(p: Promise<Outcome<T>>): Promise<T | undefined> {
  const r = await p;
  if (r.ok) return r.value;
  showError(r.error);
  return undefined;
}

function showError(e: IpcError): void {
  say(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`, true);
}

let toastTimer: number | undefined;
function say(text: string, error = false): void {
  toast.textContent = text;
  toast.className = error ? 'toast visible error' : 'toast visible';
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (toast.className = 'toast'), error ? 10000 : 4000);
}

const STATE_LABEL: Record<ProfileView['state'], string> = {
  'signed-out': 'Not signed in',
  ok: 'OK',
  expiring: 'Renewing soon',
  expired: 'Expired',
  'needs-login': 'Log in again',
  error: 'Problem',
};

function badge(state: ProfileView['state']): HTMLElement {
  return h('span', { class: `badge state-${state}` }, STATE_LABEL[state]);
}

function validity(p: ProfileView, t: TimeLeft | undefined): string {
  if (!p.signedIn) return '—';
  return t?.says ?? 'none yet';
}

/** The line under a profile's name in the list: the credential that runs out first. */
function listLine(p: ProfileView): string {
  if (p.renewing) return 'renewing…';
  if (!p.signedIn) return STATE_LABEL[p.state];
  const first = [p.s3, p.lakefs].filter((t): t is TimeLeft => Boolean(t)).sort((a, b) => a.secondsLeft - b.secondsLeft)[0];
  return first ? first.says : STATE_LABEL[p.state];
}

// ---- list -----------------------------------------------------------------------------------

/** Bumped by every click that changes what is shown: an answer that arrives later must not undo it. */
let navigation = 0;

async function reload(select?: string): Promise<void> {
  const asked = navigation;
  const views = await call(api.listProfiles(null));
  if (!views) return;
  profiles = views;
  if (asked !== navigation) {
    // The user moved on while the list was loading: refresh what they look at now.
    renderList();
    const shown = !editing && profiles.find((p) => p.name === selected);
    if (shown) renderProfile(shown);
    return;
  }
  if (select !== undefined) selected = select;
  if (!profiles.some((p) => p.name === selected)) selected = profiles[0]?.name;
  editing = false;
  renderList();
  if (selected) renderProfile(profiles.find((p) => p.name === selected)!);
  else renderEmpty();
}

/** Main said something changed: show it, without touching a form being edited. */
async function refreshShown(): Promise<void> {
  if (!editing) return reload();
  const views = await call(api.listProfiles(null));
  if (!views) return;
  profiles = views;
  renderList();
}

function renderList(): void {
  list.replaceChildren(
    ...profiles.map((p) => {
      const button = h(
        'button',
        { type: 'button', class: 'profile-item', 'aria-current': p.name === selected && !editing ? 'true' : undefined, 'data-profile': p.name },
        h('span', { class: 'profile-row' }, h('span', { class: 'profile-name' }, p.name), badge(p.state)),
        h('span', { class: 'profile-time', 'data-time': p.name }, listLine(p)),
      );
      button.addEventListener('click', () => {
        navigation++;
        selected = p.name;
        editing = false;
        renderList();
        renderProfile(p);
      });
      return h('li', {}, button);
    }),
  );
}

function renderEmpty(): void {
  detail.replaceChildren(
    h(
      'section',
      { class: 'empty' },
      h('h2', {}, 'No profiles yet'),
      h('p', {}, 'A profile connects lakekey to your identity provider and tells it where to get S3 and lakeFS credentials.'),
      h(
        'div',
        { class: 'actions' },
        actionButton('Add your first profile', 'primary', () => void openForm()),
        actionButton("Import a team's profiles…", '', () => startImport()),
      ),
    ),
  );
}

function actionButton(label: string, cls: string, onClick: () => void | Promise<void>, disabled = false): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls, disabled }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    Promise.resolve()
      .then(onClick)
      .catch((err: unknown) => say(`Something went wrong: ${err instanceof Error ? err.message : String(err)}`, true))
      .finally(() => {
        b.disabled = false;
        b.removeAttribute('aria-busy');
      });
  });
  return b;
}

// ---- one profile ----------------------------------------------------------------------------

function renderProfile(p: ProfileView): void {
  const rows: Array<[string, string]> = [
    ['Status', p.summary],
    ['Provides', p.kinds],
    ['Identity provider', p.draft.issuer],
    ['Client id', p.draft.clientId],
  ];
  if (p.draft.s3Enabled) rows.push(['S3 credentials', validity(p, p.s3)]);
  if (p.draft.s3Enabled && p.draft.endpointEnabled) rows.push(['Credentials endpoint', 'served by the tray while it runs']);
  if (p.draft.lakefsEnabled) rows.push(['lakeFS token', validity(p, p.lakefs)]);
  if (p.sharedWith?.length)
    rows.push(['Sign-in', `shared with ${p.sharedWith.join(', ')} (the same identity provider, client and scopes): one login and one logout for all`]);
  if (p.signedIn)
    rows.push([
      'Renews',
      p.renewing
        ? 'renewing now…'
        : !p.canRefresh
          ? 'needs a browser login'
          : p.state === 'error'
            ? 'silently — failing now; lakekey keeps retrying'
            : 'silently, before expiry',
    ]);
  const snippetsBox = h('div', { class: 'snippets' });
  detail.replaceChildren(
    h(
      'section',
      { class: 'profile', 'aria-labelledby': 'profile-title' },
      h('div', { class: 'profile-head' }, h('h2', { id: 'profile-title' }, p.name), badge(p.state)),
      h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Session' },
        actionButton(p.signedIn ? 'Log in again' : 'Log in', 'primary', () => session('login', p.name)),
        ...(p.signedIn ? [actionButton('Log in as someone else', '', () => session('login-other', p.name))] : []),
        actionButton('Refresh now', '', () => session('refresh', p.name), !(p.signedIn && p.canRefresh && p.draft.s3Enabled)),
        actionButton(logOutLabel(p.sharedWith), '', () => session('logout', p.name), !p.signedIn),
        h('span', { class: 'spacer' }),
        actionButton('Edit', '', () => void openForm(p)),
        actionButton('Remove', 'danger', () => remove(p.name)),
      ),
      snippetsBox,
    ),
  );
  void renderSnippets(p, snippetsBox);
}

async function session(op: 'login' | 'login-other' | 'refresh' | 'logout', name: string): Promise<void> {
  if (op === 'login') say(`Log in for "${name}" in the browser window that opens…`);
  if (op === 'login-other') say(`Log in for "${name}" in the browser window that opens: your identity provider lets you choose the account…`);
  const calls = { login: api.login, 'login-other': api.loginOther, refresh: api.refresh, logout: api.logout };
  const view = await call(calls[op]({ name }));
  if (!view) return;
  say(op === 'login' || op === 'login-other' ? `Logged in as ${view.who ?? 'unknown user'}.` : op === 'refresh' ? 'Credentials are current.' : loggedOut(view));
  await reload(name);
}

function loggedOut(p: ProfileView): string {
  const served = p.draft.s3Enabled && p.draft.endpointEnabled;
  return `Logged out of "${p.name}".${served ? ` ${ENDPOINT_AFTER_LOGOUT}` : ''}`;
}

async function remove(name: string): Promise<void> {
  if (!window.confirm(`Remove profile "${name}" and forget its keychain item?`)) return;
  if ((await call(api.removeProfile({ name }))) === undefined) return;
  say(`Removed "${name}".`);
  await reload();
}

async function renderSnippets(p: ProfileView, box: HTMLElement): Promise<void> {
  const s = await call(api.snippets({ name: p.name }));
  if (!s) return;
  const block = (title: string, help: string, text: string, kind: keyof Snippets) =>
    h(
      'figure',
      { class: 'snippet' },
      h('figcaption', {}, h('strong', {}, title), ' ', h('span', { class: 'help' }, help)),
      h('pre', { tabindex: '0', 'data-snippet': kind }, text),
      actionButton('Copy', 'small', async () => {
        if ((await call(api.copySnippet({ name: p.name, kind }))) !== undefined) say('Copied to the clipboard.');
      }),
    );
  const blocks = [block('Shell', 'exports the credentials into the current shell', s.shell, 'shell')];
  if (p.draft.s3Enabled) blocks.unshift(block('~/.aws/config', 'for the AWS CLI, boto3, s3fs, DuckDB and Spark', s.awsConfig, 'awsConfig'));
  // The endpoint's address and the path of its token file: the token itself never comes here.
  if (s.endpoint)
    blocks.push(block('Credentials endpoint', "served by the tray while it runs: a shell, or a Spark/JVM job's environment", s.endpoint, 'endpoint'));
  // Where to look when a client does not get them: doctor knows what runs and which clients are too old.
  const doctor = s.endpoint
    ? h(
        'p',
        { class: 'help', id: 'endpoint-doctor' },
        'Not working? In a terminal, ',
        h('code', {}, `lakekey doctor ${p.name}`),
        ' says whether the endpoint runs and serves this profile, and whether your AWS CLI and boto3 are new enough for its token file (older ones: run the job under ',
        h('code', {}, `lakekey exec ${p.name} --server -- COMMAND`),
        ').',
      )
    : null;
  box.replaceChildren(h('h3', {}, 'Use it'), ...blocks, ...(doctor ? [doctor] : []));
}

// ---- import ---------------------------------------------------------------------------------

// `lakekey profile import FILE` in the window: main opens the open-file dialog, reads and plans
// the file, and keeps it; the window shows the plan and says how to apply it (never a path).
const importButton = $<HTMLButtonElement>('import-profiles');
const IMPORT_MARK: Record<ImportEntry['kind'], string> = { new: '+', same: '=', differs: '~' };

async function startImport(): Promise<void> {
  if (importButton.disabled) return; // a dialog is open already
  importButton.disabled = true;
  try {
    const plan = await call(api.pickImport(null));
    // A file that cannot be imported: the error is said, and a plan shown before it no longer stands.
    if (plan === undefined && detail.querySelector('.import')) return reload();
    if (plan) renderImport(plan);
  } finally {
    importButton.disabled = false;
  }
}

function renderImport(plan: ImportPlanView): void {
  navigation++;
  editing = true;
  renderList();
  const has = (kind: ImportEntry['kind']) => plan.entries.some((e) => e.kind === kind);
  const result = h('p', { class: 'import-result', id: 'import-result', role: 'status' });
  const actions = h('div', { class: 'actions' });
  const apply = async (force: boolean) => {
    const done = await call(api.applyImport({ force }));
    if (!done) return;
    result.textContent = importSays(done);
    await refreshShown();
    // Still offered while some of yours differ from the file; Done shows the list.
    actions.replaceChildren(
      ...(done.kept.length ? [actionButton('Import and replace differing', 'danger', () => apply(true))] : []),
      h('span', { class: 'spacer' }),
      actionButton('Done', 'primary', () => reload(done.added[0] ?? done.replaced[0])),
    );
  };
  actions.append(
    actionButton('Import new profiles', 'primary', () => apply(false), !has('new')),
    ...(has('differs') ? [actionButton('Import and replace differing', 'danger', () => apply(true))] : []),
    h('span', { class: 'spacer' }),
    actionButton('Cancel', '', () => reload()),
  );
  const count = `${plan.entries.length} profile${plan.entries.length === 1 ? '' : 's'}`;
  detail.replaceChildren(
    h(
      'section',
      { class: 'import', 'aria-labelledby': 'import-title' },
      h('h2', { id: 'import-title' }, `Import profiles from ${plan.file}`),
      h(
        'p',
        { class: 'help' },
        `${count} in the file. New ones are added; yours that differ stay as they are unless you replace them. Secrets are never imported: a client secret stays each person's own.`,
      ),
      h(
        'ul',
        { class: 'import-plan' },
        ...plan.entries.map((e) =>
          h(
            'li',
            { class: `import-entry ${e.kind}`, 'data-import': e.name, 'data-kind': e.kind },
            h('span', { class: 'import-mark', 'aria-hidden': 'true' }, IMPORT_MARK[e.kind]),
            h('span', { class: 'import-name' }, e.name),
            h('span', { class: 'import-says' }, e.says),
          ),
        ),
      ),
      has('new') || has('differs') ? null : h('p', { class: 'muted' }, 'Nothing to change: every profile in the file is the same as yours.'),
      result,
      actions,
    ),
  );
}

/** What an import did, in one line: "Added "a", "b". Kept "c", which differs: …". */
function importSays(r: ImportOutcome): string {
  const names = (list: string[]) => list.map((n) => `"${n}"`).join(', ');
  const parts: string[] = [];
  if (r.added.length) parts.push(`Added ${names(r.added)}. Next: log in.`);
  if (r.replaced.length) parts.push(`Replaced ${names(r.replaced)}: what was made with the old settings is renewed on next use.`);
  if (r.kept.length) {
    const one = r.kept.length === 1;
    parts.push(
      `Kept ${names(r.kept)}, which differ${one ? 's' : ''} from the file: choose “Import and replace differing” to overwrite ${one ? 'it' : 'them'}.`,
    );
  }
  return parts.join(' ') || 'Nothing to change: every profile in the file is the same as yours.';
}

// ---- the form -------------------------------------------------------------------------------

interface FieldSpec {
  field: keyof ProfileDraft;
  label: string;
  help?: string;
  type?: 'text' | 'url' | 'number';
  placeholder?: string;
}

const IDP_FIELDS: FieldSpec[] = [
  {
    field: 'issuer',
    label: 'Issuer URL',
    type: 'url',
    placeholder: 'https://login.example.com/realms/data',
    help: 'https, or http on 127.0.0.1 / localhost for local development',
  },
  { field: 'clientId', label: 'Client id', placeholder: 'lakekey' },
  { field: 'scopes', label: 'Scopes', help: 'separated by spaces; offline_access lets lakekey renew without a browser' },
  { field: 'redirectPort', label: 'Redirect port', type: 'number', help: 'empty: any free port (RFC 8252)' },
  { field: 'refreshBeforeSeconds', label: 'Renew before expiry (seconds)', type: 'number', help: '60 to 43200' },
  {
    field: 'browser',
    label: 'Browser',
    placeholder: 'firefox',
    help: 'firefox, chromium, chrome, edge or brave, with arguments ("chrome --profile-directory=Work"), or a command with {url}; empty: the system browser',
  },
];
const S3_FIELDS: FieldSpec[] = [
  { field: 's3StsEndpoint', label: 'STS endpoint', type: 'url', placeholder: 'https://minio.example.com', help: 'empty for AWS STS in the region below' },
  {
    field: 's3Endpoint',
    label: 'S3 API endpoint',
    type: 'url',
    placeholder: 'https://minio.example.com',
    help: 'empty: the STS endpoint for MinIO, none for AWS',
  },
  { field: 's3Region', label: 'Region' },
  { field: 's3RoleArn', label: 'Role ARN', placeholder: 'arn:aws:iam::123456789012:role/data-engineer', help: 'required for AWS' },
  { field: 's3DurationSeconds', label: 'Session length (seconds)', type: 'number', help: '900 to 43200' },
  {
    field: 's3SessionName',
    label: 'Role session name',
    placeholder: '{email}',
    help: 'claims of the token STS is given, in braces ({preferred_username}, {sub}); empty: the email, else the subject',
  },
];
const LAKEFS_FIELDS: FieldSpec[] = [
  { field: 'lakefsEndpoint', label: 'lakeFS URL', type: 'url', placeholder: 'https://lakefs.example.com' },
  { field: 'lakefsTtlSeconds', label: 'Token lifetime (seconds)', type: 'number', help: '60 to 43200' },
];

async function openForm(existing?: ProfileView): Promise<void> {
  const draft: ProfileDraft | undefined = existing ? { ...existing.draft } : await call(api.profileDefaults(null));
  if (!draft) return;
  const originalName = existing?.name;
  navigation++;
  editing = true;
  renderList();
  const form = h('form', { class: 'profile-form', novalidate: true, 'aria-labelledby': 'form-title' });
  const inputs = new Map<DraftField, HTMLInputElement | HTMLSelectElement>();
  const errorNodes = new Map<DraftField | 'form', HTMLElement>();

  const textField = (spec: FieldSpec | { field: 'name'; label: string; help?: string; type?: 'text'; placeholder?: string }, value: string) => {
    const id = `f-${spec.field}`;
    const input = h('input', {
      id,
      name: spec.field,
      type: 'text',
      inputmode: spec.type === 'number' ? 'numeric' : spec.type === 'url' ? 'url' : undefined,
      placeholder: spec.placeholder,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${id}-help ${id}-error`,
    });
    input.value = value;
    inputs.set(spec.field, input);
    const error = h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    errorNodes.set(spec.field, error);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, spec.label),
      input,
      spec.help ? h('p', { class: 'help', id: `${id}-help` }, spec.help) : null,
      error,
    );
  };
  const toggle = (field: 's3Enabled' | 'lakefsEnabled', label: string, fields: HTMLElement) => {
    const input = h('input', { type: 'checkbox', id: `f-${field}`, name: field });
    input.checked = draft[field];
    inputs.set(field, input);
    const sync = () => (fields.hidden = !input.checked);
    input.addEventListener('change', sync);
    sync();
    return h('label', { class: 'toggle', for: `f-${field}` }, input, ' ', label);
  };

  const s3Box = h('div', { class: 'grid' }, ...S3_FIELDS.map((f) => textField(f, String(draft[f.field]))));
  const source = h(
    'select',
    { id: 'f-s3TokenSource', name: 's3TokenSource', 'aria-describedby': 'f-s3TokenSource-error' },
    h('option', { value: 'idp' }, 'ID token from the identity provider'),
    h('option', { value: 'lakefs' }, 'lakeFS token (lakeFS S3 gateway)'),
  );
  source.value = draft.s3TokenSource;
  inputs.set('s3TokenSource', source);
  const sourceError = h('p', { class: 'field-error', id: 'f-s3TokenSource-error', 'aria-live': 'polite' });
  errorNodes.set('s3TokenSource', sourceError);
  s3Box.append(h('div', { class: 'field' }, h('label', { for: 'f-s3TokenSource' }, 'Web identity token'), source, sourceError));
  const endpoint = h('input', {
    type: 'checkbox',
    id: 'f-endpointEnabled',
    name: 'endpointEnabled',
    'aria-describedby': 'f-endpointEnabled-help f-endpointEnabled-error',
  });
  endpoint.checked = draft.endpointEnabled;
  inputs.set('endpointEnabled', endpoint);
  const endpointError = h('p', { class: 'field-error', id: 'f-endpointEnabled-error', 'aria-live': 'polite' });
  errorNodes.set('endpointEnabled', endpointError);
  s3Box.append(
    h(
      'div',
      { class: 'field switch' },
      h('label', { for: 'f-endpointEnabled' }, endpoint, "Serve from the tray's credentials endpoint"),
      h(
        'p',
        { class: 'help', id: 'f-endpointEnabled-help' },
        'While the tray runs, AWS SDKs and Spark/JVM jobs fetch these credentials from it on 127.0.0.1, renewed as they go (see “Use it”).',
      ),
      endpointError,
    ),
  );
  const lakefsBox = h('div', { class: 'grid' }, ...LAKEFS_FIELDS.map((f) => textField(f, String(draft[f.field]))));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  errorNodes.set('form', formError);
  const results = h('div', { class: 'check-results', 'aria-live': 'polite' });

  form.append(
    h('h2', { id: 'form-title' }, existing ? `Edit profile "${existing.name}"` : 'Add a profile'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Identity provider'),
      h(
        'div',
        { class: 'grid' },
        textField({ field: 'name', label: 'Profile name', placeholder: 'work', help: 'letters, digits, ".", "_" and "-"' }, existing?.name ?? ''),
        ...IDP_FIELDS.map((f) => textField(f, String(draft[f.field]))),
      ),
    ),
    h('fieldset', {}, h('legend', {}, toggle('s3Enabled', 'S3 credentials (AWS STS, MinIO)', s3Box)), s3Box),
    h('fieldset', {}, h('legend', {}, toggle('lakefsEnabled', 'lakeFS', lakefsBox)), lakefsBox),
    formError,
    results,
    h(
      'div',
      { class: 'actions' },
      actionButton('Check', '', () => check()),
      h('span', { class: 'spacer' }),
      actionButton('Cancel', '', () => void reload(originalName)),
      h('button', { type: 'submit', class: 'primary' }, existing ? 'Save changes' : 'Add profile'),
    ),
  );

  const read = (): { name: string; draft: ProfileDraft } => {
    const value = (f: DraftField) => (inputs.get(f) as HTMLInputElement).value;
    const checked = (f: DraftField) => (inputs.get(f) as HTMLInputElement).checked;
    return {
      name: value('name').trim(),
      draft: {
        issuer: value('issuer'),
        clientId: value('clientId'),
        scopes: value('scopes'),
        redirectPort: value('redirectPort'),
        refreshBeforeSeconds: value('refreshBeforeSeconds'),
        s3Enabled: checked('s3Enabled'),
        s3StsEndpoint: value('s3StsEndpoint'),
        s3Endpoint: value('s3Endpoint'),
        s3Region: value('s3Region'),
        s3RoleArn: value('s3RoleArn'),
        s3DurationSeconds: value('s3DurationSeconds'),
        s3SessionName: value('s3SessionName'),
        s3TokenSource: value('s3TokenSource') === 'lakefs' ? 'lakefs' : 'idp',
        endpointEnabled: checked('endpointEnabled'),
        lakefsEnabled: checked('lakefsEnabled'),
        lakefsEndpoint: value('lakefsEndpoint'),
        lakefsTtlSeconds: value('lakefsTtlSeconds'),
        browser: value('browser'),
      },
    };
  };
  const showErrors = (errors: FieldError[]): boolean => {
    for (const [field, node] of errorNodes) {
      const e = errors.find((x) => x.field === field);
      node.textContent = e?.message ?? '';
      const input = field === 'form' ? undefined : inputs.get(field);
      if (input) {
        if (e) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    }
    const first = errors.map((e) => (e.field === 'form' ? undefined : inputs.get(e.field))).find(Boolean);
    first?.focus();
    return errors.length === 0;
  };
  const request = () => {
    const { name, draft: d } = read();
    return { name, draft: d, ...(originalName ? { originalName } : {}) };
  };

  async function check(): Promise<void> {
    const req = request();
    if (!showErrors(checkDraft(req.name, req.draft))) return;
    results.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    const r: CheckResult | undefined = await call(api.checkProfile(req));
    if (!r) return results.replaceChildren();
    if (r.errors) {
      showErrors(r.errors);
      return results.replaceChildren();
    }
    results.replaceChildren(h('h3', {}, 'Check'), h('ul', { class: 'checks' }, ...r.checks.map(finding)));
    results.scrollIntoView({ block: 'nearest' });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save().catch((err: unknown) => say(`Something went wrong: ${err instanceof Error ? err.message : String(err)}`, true));
  });
  async function save(): Promise<void> {
    const req = request();
    if (!showErrors(checkDraft(req.name, req.draft))) return;
    const r = await call(api.saveProfile(req));
    if (!r) return;
    if (!r.ok) {
      showErrors(r.errors);
      return;
    }
    say(existing ? `Saved "${req.name}".` : `Added "${req.name}". Next: Log in.`);
    await reload(req.name);
  }
  for (const input of inputs.values()) {
    // Clear a field's error as soon as it is edited.
    input.addEventListener('input', () => {
      const field = input.name as DraftField;
      errorNodes.get(field)?.replaceChildren();
      input.removeAttribute('aria-invalid');
    });
  }
  detail.replaceChildren(form);
  (inputs.get(existing ? 'issuer' : 'name') as HTMLInputElement).focus();
}

const MARK: Record<CheckFinding['status'], [string, string]> = { ok: ['✓', 'OK'], warn: ['!', 'Warning'], fail: ['✗', 'Failed'] };

/** One check, as a person reads it: what, where, what was found and what to do. */
function finding(f: CheckFinding): HTMLElement {
  const [mark, word] = MARK[f.status];
  return h(
    'li',
    { class: `check ${f.status}`, 'data-check': f.name },
    h('span', { class: 'check-mark', 'aria-hidden': 'true' }, mark),
    h(
      'div',
      { class: 'check-body' },
      h('p', { class: 'check-head' }, h('strong', {}, f.name), h('span', { class: 'sr-only' }, ` ${word}`), f.target ? h('code', {}, f.target) : null),
      h('p', { class: 'check-says' }, f.says),
      f.fix ? h('p', { class: 'check-fix' }, h('span', { class: 'check-fix-label' }, 'What to do: '), f.fix) : null,
    ),
  );
}

// "Start lakekey at login": the same setting as the tray menu's toggle (off until turned on).
const startSwitch = $<HTMLInputElement>('start-at-login');
async function showStartAtLogin(): Promise<void> {
  const on = await call(api.startAtLogin(null));
  if (on !== undefined) startSwitch.checked = on;
}
startSwitch.addEventListener('change', () => {
  startSwitch.disabled = true;
  void call(api.setStartAtLogin({ enabled: startSwitch.checked }))
    .then((on) => {
      if (on === undefined) return showStartAtLogin();
      startSwitch.checked = on;
      say(on ? 'lakekey will start when you log in.' : 'lakekey will no longer start when you log in.');
    })
    .finally(() => (startSwitch.disabled = false));
});

$<HTMLButtonElement>('add-profile').addEventListener('click', () => void openForm());
importButton.addEventListener('click', () => void startImport());
// The tray menu's "Import profiles…" opened this window: start the import here.
api.onImportRequested(() => void startImport());
api.onProfilesChanged(() => {
  void refreshShown();
  void showStartAtLogin();
});
void showStartAtLogin();
// The tray re-plans failing renewals when the network comes back.
window.addEventListener('online', () => void api.networkOnline(null));
void reload();
