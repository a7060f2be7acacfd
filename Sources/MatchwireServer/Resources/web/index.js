// The fixtures of every sport: live, then scheduled, then recently completed, refreshed while the page is seen.
//
// A fixture object carries no score (protocol.md §2), so a row's score is the summary of the newest packet of the
// fixture's actions list: asked again for live fixtures with If-None-Match (a 304 costs the server no read), and
// once for a completed fixture whose list is final.

import { ApiError, AuthError, api, apiPath, loadSports, setText, takeTokenFromFragment, withToken } from './common.js';
import { currentPeriodLabel, isFinalTag, latestPacket, sortFixtures, teamNames } from './model.js';

const REFRESH_MS = 5000;
const COMPLETED_PER_SPORT = 20;
const SCHEDULED_PER_SPORT = 20;
const LIVE_PER_SPORT = 100;
// Completed fixtures' scores are fetched a few per refresh, so that the live ones are never kept waiting.
const COMPLETED_SCORES_PER_REFRESH = 6;

const statusLine = document.querySelector('[data-mw="index-status"]');
const groups = ['live', 'scheduled', 'completed'].map((name) => ({
  name,
  list: document.querySelector(`[data-mw="fixtures-${name}"]`),
  empty: document.querySelector(`[data-mw="empty-${name}"]`),
}));

let sports = [];
const rows = new Map(); // fixture id → its <li>
const scores = new Map(); // fixture id → { etag, summary }
const refused = new Set(); // sports the token may not read (403)
let refreshing = false;
let timer = null;
let haveToken = false; // false while the token form waits

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(refresh, delay);
}

async function refresh() {
  if (refreshing || !haveToken || document.visibilityState !== 'visible') return;
  refreshing = true;
  let next = REFRESH_MS;
  try {
    await refreshOnce();
    setText(statusLine, refused.size ? `This token may not read: ${[...refused].join(', ')}.` : '');
  } catch (error) {
    if (error instanceof AuthError) {
      next = null;
      haveToken = false;
      withToken(start, 'The server refused this token: type a valid one.');
    } else {
      const why = error instanceof ApiError ? error.message : 'the server cannot be reached';
      setText(statusLine, `The fixtures could not be updated (${why}); trying again in ${REFRESH_MS / 1000} s.`);
    }
  } finally {
    refreshing = false;
  }
  if (next !== null) schedule(next);
}

async function refreshOnce() {
  const perSport = await Promise.all(sports.map(sportFixtures));
  const all = (status) => perSport.flatMap((lists) => lists[status]).filter((f) => !f.fixtureDeleted);
  const shown = {
    live: sortFixtures(all('live')),
    scheduled: sortFixtures(all('scheduled')),
    completed: sortFixtures(all('completed'), true),
  };
  render(shown);
  await refreshScores(shown);
}

/** One sport's live, scheduled and latest completed fixtures, one page of each. */
async function sportFixtures(sport) {
  const list = (query) => api(`${apiPath(sport.path, 'fixtures')}?${query}`, { paged: 'true' }).then((r) => r.body.content ?? []);
  try {
    const [live, scheduled, completed] = await Promise.all([
      list(`live=true&sort=startTime,asc&size=${LIVE_PER_SPORT}`),
      list(`status=scheduled&sort=startTime,asc&size=${SCHEDULED_PER_SPORT}`),
      list(`status=completed&sort=startTime,desc&size=${COMPLETED_PER_SPORT}`),
    ]);
    refused.delete(sport.name);
    return { live, scheduled, completed };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
    refused.add(sport.name);
    return { live: [], scheduled: [], completed: [] };
  }
}

async function refreshScores(shown) {
  const stale = shown.completed.filter((f) => !isFinalTag(scores.get(f.id)?.etag));
  for (const fixture of [...shown.live, ...stale.slice(0, COMPLETED_SCORES_PER_REFRESH)]) {
    const known = scores.get(fixture.id);
    const sport = sports.find((s) => s.sport === fixture.sport);
    try {
      const answer = await api(
        apiPath(sport.path, 'fixtures', fixture.id, 'actions'),
        known?.etag ? { 'If-None-Match': known.etag } : {},
      );
      if (answer.status === 304) continue;
      scores.set(fixture.id, { etag: answer.etag, summary: latestPacket(answer.body)?.fixtureSummary ?? null });
      fillRow(rows.get(fixture.id), fixture);
    } catch (error) {
      // A fixture deleted or refused meanwhile keeps its row without a score; anything else ends this refresh.
      if (!(error instanceof ApiError) || error instanceof AuthError) throw error;
    }
  }
}

function render(shown) {
  const seen = new Set();
  for (const group of groups) {
    const fixtures = shown[group.name];
    fixtures.forEach((fixture, index) => {
      seen.add(fixture.id);
      const row = rows.get(fixture.id) ?? newRow(fixture);
      fillRow(row, fixture);
      // Rows already in place are not moved, so that a focused link keeps its focus.
      if (group.list.children[index] !== row) group.list.insertBefore(row, group.list.children[index] ?? null);
    });
    group.empty.hidden = fixtures.length > 0;
  }
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
}

function newRow(fixture) {
  const row = document.createElement('li');
  row.dataset.mw = 'fixture';
  row.dataset.fixtureId = fixture.id;
  const link = document.createElement('a');
  link.href = `/match/${encodeURIComponent(fixture.sport)}/${encodeURIComponent(fixture.id)}`;
  for (const part of ['sport', 'home', 'score', 'away', 'state', 'start']) {
    const span = document.createElement(part === 'start' ? 'time' : 'span');
    span.className = part;
    link.append(span);
  }
  row.append(link);
  rows.set(fixture.id, row);
  return row;
}

function fillRow(row, fixture) {
  if (!row) return;
  const part = (name) => row.querySelector(`.${name}`);
  const names = teamNames(fixture);
  const summary = scores.get(fixture.id)?.summary;
  row.dataset.status = fixture.status;
  setText(part('sport'), sports.find((s) => s.sport === fixture.sport)?.name ?? fixture.sport);
  setText(part('home'), names.home);
  setText(part('away'), names.away);
  setText(part('score'), summary ? `${summary.homeTeamScore} – ${summary.awayTeamScore}` : 'v');
  const period = fixture.status === 'Live' && summary ? `, ${currentPeriodLabel(summary)}` : '';
  setText(part('state'), `${fixture.status}${period}`);
  const when = part('start');
  when.dateTime = `${fixture.startDateUTC}Z`;
  const date = new Date(`${fixture.startDateUTC}Z`);
  setText(when, Number.isNaN(date.getTime()) ? '' : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }));
}

function start() {
  haveToken = true;
  schedule(0);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && haveToken && !refreshing) schedule(0);
});

takeTokenFromFragment();
sports = await loadSports(() => setText(statusLine, 'The server cannot be reached; trying again.'));
setText(statusLine, '');
withToken(start);
