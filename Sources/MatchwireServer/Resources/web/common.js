// What both pages share: the viewer's token, the sports this server serves, and REST calls kept under the
// token's rate limit.

const TOKEN_KEY = 'matchwire.token';

// The server allows a token 5 requests a second in bursts of 10 (docs/api.md, "Rate limit"), stream connects
// included, and another tab may use the same token: the pages stay well below.
const RATE_PER_SECOND = 3;
const BURST = 4;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// sessionStorage can be switched off: the token is then kept in memory, and asked for on every load.
let memoryToken = null;

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

function storeToken(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Kept in memory only, until the page is reloaded.
  }
  memoryToken = token;
}

export const currentToken = () => storedToken() ?? memoryToken;

export function forgetToken() {
  memoryToken = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was kept.
  }
}

/**
 * Moves `#token=...` from the address into sessionStorage. The fragment never reaches the server, but it stays
 * in the address bar and the history until it is replaced.
 */
export function takeTokenFromFragment() {
  if (!location.hash) return;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('token')) return;
  const token = params.get('token').trim();
  params.delete('token');
  if (token) storeToken(token);
  const rest = params.toString();
  history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
}

/**
 * Runs `start` once there is a token: the stored one, or else the one typed into the page's token form. With a
 * `sentence` (why the last token was refused) the stored token is dropped and the form says why.
 */
export function withToken(start, sentence) {
  const form = document.querySelector('[data-mw="token-form"]');
  if (sentence) forgetToken();
  if (currentToken()) {
    form.hidden = true;
    start();
    return;
  }
  const problem = form.querySelector('[data-mw="token-problem"]');
  problem.textContent = sentence ?? '';
  problem.hidden = !sentence;
  form.hidden = false;
  const input = form.querySelector('input');
  input.value = '';
  input.focus();
  // The input has no name, so even a submission without this script could not put the token in a URL.
  form.onsubmit = (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    input.value = '';
    storeToken(token);
    form.hidden = true;
    start();
  };
}

/** An error answer of the API, with its `errorMessage` sentence. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The token was refused (401): the page must ask for another. */
export class AuthError extends ApiError {}

let allowance = BURST;
let allowanceAt = 0;
let pausedUntil = 0;

/** Waits until a request fits under the pace above, and after a 429 until its `Retry-After` has passed. */
async function requestSlot() {
  for (;;) {
    const now = performance.now();
    allowance = Math.min(BURST, allowance + ((now - allowanceAt) / 1000) * RATE_PER_SECOND);
    allowanceAt = now;
    const wait = Math.max(pausedUntil - now, allowance >= 1 ? 0 : ((1 - allowance) / RATE_PER_SECOND) * 1000);
    if (wait <= 0) {
      allowance -= 1;
      return;
    }
    await sleep(wait);
  }
}

/** A REST path: `/` + segments; the sport's path (`v2/tabletennis`) keeps its slash, ids are encoded. */
export function apiPath(sportPath, ...segments) {
  return `/${sportPath}/${segments.map(encodeURIComponent).join('/')}`;
}

/**
 * A GET of the consumer API with the token. Answers `{status, etag, body}` (`body` null for 304); throws
 * `AuthError` for 401, `ApiError` for another error answer, and the fetch's TypeError when the server is
 * unreachable. A 429 waits for its `Retry-After` and asks again.
 */
export async function api(path, headers = {}) {
  for (;;) {
    await requestSlot();
    const token = currentToken();
    if (!token) throw new AuthError(401, 'No token was given.');
    const response = await fetch(path, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}`, ...headers },
      cache: 'no-store',
      credentials: 'omit',
    });
    const etag = response.headers.get('ETag');
    if (response.status === 429) {
      const seconds = Number(response.headers.get('Retry-After')) || 1;
      pausedUntil = performance.now() + seconds * 1000;
      continue;
    }
    if (response.status === 304) return { status: 304, etag, body: null };
    if (response.ok) return { status: response.status, etag, body: await response.json() };
    let message = `The server answered ${response.status} for ${path}.`;
    try {
      message = (await response.json()).errorMessage ?? message;
    } catch {
      // Not the API's JSON error body: keep the status sentence.
    }
    if (response.status === 401) forgetToken();
    throw new (response.status === 401 ? AuthError : ApiError)(response.status, message);
  }
}

/** The sports this server serves (the server makes the file from its registry), retried until it answers. */
export async function loadSports(onRetry) {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch('/assets/sports.json', { headers: { Accept: 'application/json' } });
      if (response.ok) return await response.json();
    } catch {
      // Unreachable: retried below.
    }
    onRetry?.();
    await sleep(Math.min(10000, 500 * 2 ** attempt));
  }
}

/** `serve` → `Serve`, for the sports' words in labels. */
export const capitalised = (word) => (word ? word[0].toUpperCase() + word.slice(1) : '');

/** Sets an element's text only when it changes, so that live regions announce changes and nothing else. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
