// The portal's shell: who is signed in, the header and navigation, and a router from the URL
// fragment (#/records?page=2) to page modules, which load on demand. Each page renders into
// a fresh element, so an answer that arrives after the reader moved on lands nowhere.
import * as api from './api.js';
import {clear, h} from './dom.js';
import {lang, roleLabel, S, setLang, t} from './i18n.js';
import * as passbookPage from './page_passbook.js';

// Pages: module, who may open them (null = anyone), and the navigation label.
const PAGES = {
  'sign-in': {load: () => import('./page_signin.js'), roles: null},
  // The learner's home, the page most people open, loads with the shell (its modules are
  // preloaded by the entry page) instead of in a second wave after it.
  passbook: {load: async () => passbookPage, roles: ['learner'], nav: S.navPassbook},
  records: {load: () => import('./page_records.js'), roles: ['learner'], nav: S.navRecords},
  record: {load: () => import('./page_record.js'), roles: ['learner', 'institution', 'auditor', 'admin']},
  programs: {load: () => import('./page_programs.js'), roles: ['learner'], nav: S.navPrograms},
  program: {load: () => import('./page_program.js'), roles: ['learner']},
  conversions: {load: () => import('./page_conversions.js'), roles: ['learner'], nav: S.navConversions},
  conversion: {load: () => import('./page_conversion.js'), roles: ['learner']},
  credentials: {load: () => import('./page_credentials.js'), roles: ['learner'], nav: S.navCredentials},
  sharing: {load: () => import('./page_sharing.js'), roles: ['learner'], nav: S.navSharing},
  device: {load: () => import('./page_codes.js'), roles: ['learner'], nav: S.navDevice},
  'my-sessions': {load: () => import('./page_my_sessions.js'), roles: ['learner'], nav: S.navMySessions},
  account: {load: () => import('./page_account.js'), roles: ['learner'], nav: S.navAccount},
  upload: {load: () => import('./page_upload.js'), roles: ['institution'], nav: S.navUpload},
  posted: {load: () => import('./page_posted.js'), roles: ['institution'], nav: S.navPosted},
  rulesets: {load: () => import('./page_rulesets.js'), roles: ['institution'], nav: S.navRulesets},
  evaluate: {load: () => import('./page_evaluate.js'), roles: ['institution'], nav: S.navEvaluate},
  codes: {load: () => import('./page_codes.js'), roles: ['institution', 'admin'], nav: S.navCodes},
  sessions: {load: () => import('./page_sessions.js'), roles: ['admin'], nav: S.navSessions},
  stats: {load: () => import('./page_stats.js'), roles: ['regulator', 'admin'], nav: S.navStats},
  checkpoint: {load: () => import('./page_checkpoint.js'), roles: null, nav: S.navCheckpoint},
  verify: {load: () => import('./page_verify.js'), roles: null, nav: S.navVerify},
  consistency: {load: () => import('./page_consistency.js'), roles: null, nav: S.navConsistency},
  // A transcript's verification code (its QR code leads a browser here): no sign-in.
  transcript: {load: () => import('./page_transcript.js'), roles: null},
};

const NAV = {
  learner: ['passbook', 'records', 'programs', 'conversions', 'credentials', 'sharing', 'device', 'my-sessions',
    'account'],
  institution: ['upload', 'posted', 'rulesets', 'evaluate', 'codes'],
  auditor: ['checkpoint', 'verify', 'consistency'],
  admin: ['sessions', 'codes', 'stats', 'checkpoint'],
  regulator: ['stats', 'checkpoint', 'consistency'],
};

const HOME = {learner: 'passbook', institution: 'upload', auditor: 'checkpoint', admin: 'sessions',
  regulator: 'stats'};

const app = {
  session: null,  // {id, role, learner?, expires_at}; the CSRF token is kept by api.js only
  flash: null,    // a message for the next page (signed out, session ended)
  kind() { return this.session ? this.session.role.split(':')[0] : null; },
  home() { return this.session ? `#/${HOME[this.kind()]}` : '#/sign-in'; },
  subject() { return this.session ? this.session.role.split(/:(.*)/s)[1] || '' : ''; },
  // Opens the page at `hash`; {replace: true} for a redirect, which leaves no history entry
  // and, like the first load, keeps focus where it is.
  go(hash, opts = {}) {
    if (opts.replace) {
      history.replaceState(null, '', hash);
      route({keepFocus: true});
    } else if (location.hash === hash) {
      route();
    } else {
      location.hash = hash;
    }
  },
  signedIn(session) {
    signedInHint(true);
    api.setCsrf(session.csrf_token);
    const {csrf_token: _, ...rest} = session;
    this.session = rest;
    renderHeader();
  },
  async signOut() {
    signedInHint(false);
    await api.del('/v1/sessions/current').catch(() => null);
    api.setCsrf(null);
    this.session = null;
    this.flash = t(['您已退出登录。', 'You have signed out.']);
    renderHeader();
    this.go('#/sign-in');
  },
  refresh: () => route({keepFocus: true}),
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {name: parts[0] || '', args: parts.slice(1), params: new URLSearchParams(query || '')};
}

function renderHeader() {
  const tools = document.getElementById('header-tools');
  clear(tools);
  if (app.session) {
    tools.append(h('span', {class: 'header-who'}, t(S.signedInAs, {who: roleLabel(app.session)})));
  }
  const other = lang() === 'zh' ? 'en' : 'zh';
  // The switch is drawn anew in the other language; focus goes to the new one (WCAG 2.4.3),
  // not to <body> with the old one, and stays there while the page redraws.
  tools.append(h('button', {type: 'button', class: 'header-button', id: 'lang-switch', lang: t(S.otherLangCode),
    'aria-label': t(S.switchLang), onclick: () => {
      setLang(other);
      renderHeader();
      document.getElementById('lang-switch').focus();
      app.refresh();
    }},
  t(S.otherLang)));
  if (app.session) {
    tools.append(h('button', {type: 'button', class: 'header-button', 'data-testid': 'sign-out',
      onclick: () => app.signOut()}, t(S.signOut)));
  }
  document.getElementById('service-name').textContent = t(S.service);
  document.getElementById('skip-link').textContent = t(S.skip);
  renderFooter();
}

function renderNav(current) {
  const nav = document.getElementById('nav');
  clear(nav);
  const names = app.session ? NAV[app.kind()] || [] : [];
  nav.hidden = names.length === 0;
  nav.setAttribute('aria-label', t(S.menu));
  nav.append(h('ul', {class: 'nav-list'}, names.map((name) => h('li', null,
    h('a', {class: 'nav-link', href: `#/${name}`, 'aria-current': name === current ? 'page' : null},
      t(PAGES[name].nav))))));
}

function renderFooter() {
  const f = document.getElementById('footer-links');
  clear(f);
  const links = [['#/verify', S.verifyLink], ['#/transcript', S.transcriptLink], ['#/checkpoint', S.navCheckpoint],
    ['/docs/', S.apiDocs]];
  f.append(...links.map(([href, label]) => h('li', null, h('a', {href}, t(label)))));
}

let generation = 0;

async function route(opts = {}) {
  const {name, args, params} = parseHash();
  const main = document.getElementById('main');
  const kind = app.kind();
  if (!name || (name === 'sign-in' && app.session && !params.get('code'))) {
    return app.go(app.session ? `#/${HOME[kind]}` : '#/sign-in', {replace: true});
  }
  const page = PAGES[name];
  if (page && page.roles && !(kind && page.roles.includes(kind))) {
    return app.go(app.session ? `#/${HOME[kind]}` : '#/sign-in', {replace: true});
  }
  renderNav(name);
  const mine = ++generation;
  const view = h('div', {class: 'view'}, h('p', {class: 'hint', role: 'status'}, t(S.loading)));
  clear(main).append(view);
  main.removeAttribute('data-ready');
  const flash = app.flash;
  app.flash = null;
  try {
    if (!page) throw Object.assign(new Error('not found'), {notFound: true});
    const mod = await page.load();
    if (mine !== generation) return;
    clear(view);
    if (flash) view.append(h('div', {class: 'notice notice-success', role: 'status'}, flash));
    await mod.render({view, app, args, params, setTitle});
    performance.mark('cb:rendered');  // the page's content is in (tests and benchmarks read it)
    main.setAttribute('data-ready', name);
    main.setAttribute('data-renders', String(mine));
  } catch (e) {
    if (mine !== generation) return;
    clear(view).append(h('h1', {class: 'heading-l'}, e.notFound ? t(S.notFound) : t(S.networkError)));
    if (!e.notFound) console.error(e);
  }
  // After a navigation (not the first load), move focus to the new page's heading so that
  // screen readers announce it, as a full page load would.
  if (mine === generation && routed && !opts.keepFocus) {
    const h1 = view.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
  }
}

// Whether this browser was signed in when it last left the portal ("1" in cb_signed_in, no
// secret). The session cookie is SameSite=Strict, so a page opened from a link on another site
// comes without it, and the server answers it as signed out; the same-origin request that
// follows carries the cookie, so with this hint the session is asked for even then.
function signedInHint(on) {
  try {
    if (on === undefined) return localStorage.getItem('cb_signed_in') === '1';
    if (on) localStorage.setItem('cb_signed_in', '1'); else localStorage.removeItem('cb_signed_in');
  } catch (e) { /* storage off: the hint is only an optimization */ }
  return false;
}

// Whether this document is the server's answer to this very load of the portal's entry page
// (/portal/, where the server writes a signed-in browser's session), not a copy the browser
// kept: a copy comes with no bytes transferred. Unknown (no Navigation Timing) counts as no.
function answeredNow() {
  if (!location.pathname.endsWith('/')) return false;
  const nav = performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
  return !!nav && nav.transferSize > 0;
}

let routed = false;
function setTitle(title) { document.title = `${title} – ${t(S.service)}`; }

async function start() {
  setLang(lang());
  api.whenSessionEnds(() => {
    signedInHint(false);
    app.session = null;
    app.flash = t(S.sessionEnded);
    renderHeader();
    app.go('#/sign-in');
  });
  // A signed-in browser's entry page carries its session (the server put there what
  // GET /v1/sessions/current answers); the block is removed once read, so the CSRF token lives
  // in api.js only. An entry page the server answered just now without it was asked for with no
  // valid session, unless the browser came from another site (the cookie is SameSite=Strict):
  // nothing to ask when this browser was not signed in either (asking would only log a 401 in
  // the console). The session is asked for when the page may not be the server's answer to this
  // load (a copy from the browser's cache, as back and forward may show, or /portal/index.html,
  // which has no block) or this browser was signed in when it left (signedInHint), and the
  // first page's module loads meanwhile (a dynamic import is fetched once; route() later gets
  // the same module).
  const block = document.getElementById('cb-session');
  let session = null;
  let unreadable = false;
  if (block) {
    try { session = JSON.parse(block.textContent); } catch (e) { unreadable = true; }
    block.remove();
  }
  if (session) {
    app.signedIn(session);
  } else if (unreadable || !answeredNow() || signedInHint()) {
    const first = PAGES[parseHash().name];
    if (first) first.load().catch(() => null);
    try {
      const r = await api.get('/v1/sessions/current', {signingIn: true});
      if (r.ok) app.signedIn(r.data); else signedInHint(false);
    } catch (e) { /* offline: the sign-in page says so when used */ }
  }
  // In-page links (#main, #field-id) are not routes.
  window.addEventListener('hashchange', () => {
    if (location.hash && !location.hash.startsWith('#/')) return;
    routed = true;
    renderHeader();
    route();
  });
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  renderHeader();
  await route();
  routed = true;
}

start();
