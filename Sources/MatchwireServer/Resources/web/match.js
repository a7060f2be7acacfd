// One fixture's live page: the fixture from REST, then two of its streams (docs/streams.md), its actions and its
// statistics, each followed by a FollowedStream (stream.js): resumed from the last packet shown after every
// disconnect, so that each number is shown exactly once.

import {
  ApiError,
  AuthError,
  api,
  apiPath,
  capitalised,
  currentToken,
  loadSports,
  setText,
  takeTokenFromFragment,
  withToken,
} from './common.js';
import {
  applyPacket,
  applyStatistics,
  backoffDelay,
  clockText,
  currentPeriodLabel,
  newMatch,
  newStatistics,
  periodRows,
  possessionSide,
  teamNames,
} from './model.js';
import { FollowedStream } from './stream.js';

// Statuses whose stream is a replay (docs/streams.md, "Live or replay").
const REPLAYED = new Set(['Completed', 'Abandoned', 'Cancelled']);

const $ = (name) => document.querySelector(`[data-mw="${name}"]`);
const view = {
  connection: $('connection'),
  homeName: $('home-name'),
  awayName: $('away-name'),
  homeScore: $('home-score'),
  awayScore: $('away-score'),
  status: $('status'),
  period: $('period'),
  clock: $('clock'),
  possession: $('possession'),
  periodRows: $('period-scores').tBodies[0],
  timeline: $('timeline'),
  replay: $('replay'),
  statistics: $('statistics'),
  statisticsRows: $('statistics').tBodies[0],
  statisticsState: $('statistics-connection'),
};

const [sportName, fixtureId] = location.pathname
  .split('/')
  .slice(2)
  .map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });

let sport = null;
let fixture = null;
let names = { home: 'Home', away: 'Away' };
let match = newMatch();
let statistics = newStatistics();
const items = new Map(); // fixtureSeqNum → its <li>
let shownPeriods = ''; // the period rows on screen, to rebuild them only when they change

const feed = document.querySelector('[data-mw="feed"] input:checked')?.value ?? 'betting';

// The actions: the scoreboard and the timeline. Their state is the page's connection state.
const actions = new FollowedStream({
  segment: 'actions',
  noun: 'packets',
  progress: () => match,
  numberOf: (message) => (message.fixtureAction ? message.fixtureAction.fixtureSeqNum : undefined),
  apply: (packet) => showPacket(applyPacket(match, packet, performance.now())),
  status: (state, text) => {
    setState(state, text);
    if (state === 'finished') showReplayControl();
  },
  refused: (retry) =>
    askForToken(() => {
      retry();
      statisticsStream.restart();
    }),
});

// The statistics: the table of totals, with a state of its own (the actions stream asks for a new token).
const statisticsStream = new FollowedStream({
  segment: 'statistics',
  noun: 'statistics packets',
  progress: () => statistics,
  numberOf: (message) => (Array.isArray(message.teamActionAggregates) ? message.seqNum : undefined),
  apply: (packet) => showStatistics(applyStatistics(statistics, packet)),
  status: (state, text) => {
    view.statisticsState.dataset.state = state;
    setText(view.statisticsState, text);
  },
  refused: () => {},
});

const streams = [actions, statisticsStream];
for (const stream of streams) stream.feed = feed;

function setState(state, text) {
  view.connection.dataset.state = state;
  setText(view.connection, text);
}

function fail(sentence) {
  for (const stream of streams) stream.stop();
  setState('error', sentence);
}

// --- Loading ------------------------------------------------------------------------------------------------

async function loadFixture() {
  setState('connecting', 'Loading the fixture…');
  for (let attempt = 0; ; attempt++) {
    try {
      fixture = (await api(apiPath(sport.path, 'fixtures', fixtureId))).body;
      break;
    } catch (error) {
      if (error instanceof AuthError) return askForToken(loadFixture);
      if (error instanceof ApiError && error.status === 404) return fail(`No ${sport.name.toLowerCase()} fixture has the id ${fixtureId}.`);
      if (error instanceof ApiError && error.status < 500) return fail(error.message);
      const delay = backoffDelay(attempt);
      setState('connecting', `The fixture could not be loaded; trying again in ${Math.ceil(delay / 1000)} s.`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  names = teamNames(fixture);
  setText(view.homeName, names.home);
  setText(view.awayName, names.away);
  for (const [name, text] of [['period-home', names.home], ['period-away', names.away], ['statistics-home', names.home], ['statistics-away', names.away]]) {
    $(name).textContent = text;
  }
  setText(view.status, fixture.status);
  document.title = `${names.home} v ${names.away} · Matchwire`;
  showReplayControl();
  for (const stream of streams) {
    stream.sport = sport;
    stream.fixtureId = fixtureId;
    stream.connect();
  }
}

function askForToken(then) {
  setState('error', 'The token was refused: type a valid one.');
  withToken(then, 'The server refused this token: type a valid one.');
}

// --- Showing packets ----------------------------------------------------------------------------------------

function showPacket({ item, replaced }) {
  view.timeline.prepend(actionItem(item));
  if (replaced) markReplaced(items.get(replaced.seq), replaced);
  showSummary();
}

function actionItem(item) {
  const li = document.createElement('li');
  li.dataset.mw = 'action';
  li.dataset.seq = String(item.seq);
  li.dataset.sendType = item.sendType;
  li.dataset.actionId = item.actionId;
  li.className = `action ${item.state}`;
  const what = [item.type, item.subType && `(${item.subType})`, item.team && `· ${item.team}`].filter(Boolean).join(' ');
  li.append(
    part('span', 'seq', `#${item.seq}`),
    // A sport without a clock sends 00:00 on every action: show the period only.
    part('span', 'when', (sport?.clock === 'none' ? item.period : `${item.period} ${item.clockTime}`).trim()),
    part(item.state === 'deleted' || item.state === 'cancelled' ? 'del' : 'span', 'what', what),
    part('span', 'send', item.sendType),
    part('span', 'note', ''),
  );
  items.set(item.seq, li);
  return li;
}

function markReplaced(li, item) {
  if (!li) return;
  li.classList.add('replaced');
  li.querySelector('.note').textContent = `replaced by #${item.replacedBy}`;
}

function part(tag, className, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

function showSummary() {
  const summary = match.summary;
  if (!summary) return;
  setText(view.homeScore, String(summary.homeTeamScore));
  setText(view.awayScore, String(summary.awayTeamScore));
  setText(view.status, summary.currentStatus + (match.finished ? ', final' : ''));
  setText(view.period, currentPeriodLabel(summary));
  const side = possessionSide(summary);
  if (side) {
    view.possession.dataset.side = side;
    setText(view.possession, `${capitalised(sport.possession)}: ${side === 'home' ? names.home : names.away}`);
  } else {
    delete view.possession.dataset.side;
    setText(view.possession, '');
  }
  const rows = periodRows(summary);
  const cells = JSON.stringify(rows);
  if (shownPeriods !== cells) {
    shownPeriods = cells;
    view.periodRows.replaceChildren(...rows.map(periodRow));
  }
  document.title = `${names.home} ${summary.homeTeamScore}–${summary.awayTeamScore} ${names.away} · Matchwire`;
  tick();
  showReplayControl();
}

/** A table row of the period scores or the statistics: a label, then the home and the away figure. */
function homeAwayRow(mw, label, home, away) {
  const tr = document.createElement('tr');
  tr.dataset.mw = mw;
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = label;
  tr.append(th, part('td', 'home', String(home)), part('td', 'away', String(away)));
  return tr;
}

function periodRow(row) {
  return homeAwayRow('period-score', row.label, row.home, row.away);
}

function tick() {
  setText(view.clock, clockText(match.clock, performance.now()));
}

function showReplayControl() {
  const status = match.summary?.currentStatus ?? fixture?.status;
  view.replay.hidden = !(match.finished || REPLAYED.has(status));
}

function showStatistics(rows) {
  view.statistics.dataset.seq = String(statistics.lastSeq);
  view.statisticsRows.replaceChildren(...(rows.length ? rows.map(statisticsRow) : [emptyStatisticsRow()]));
}

function statisticsRow(row) {
  const tr = homeAwayRow('statistic', row.name, row.home, row.away);
  tr.dataset.actionId = String(row.actionId);
  if (row.subActionId !== null) {
    tr.dataset.subActionId = String(row.subActionId);
    tr.className = 'sub';
  }
  return tr;
}

function emptyStatisticsRow() {
  const tr = document.createElement('tr');
  const cell = part('td', 'empty', 'Nothing counted yet.');
  cell.colSpan = 3;
  tr.append(cell);
  return tr;
}

function clearDisplay() {
  view.timeline.replaceChildren();
  items.clear();
  view.periodRows.replaceChildren();
  shownPeriods = '';
  setText(view.homeScore, '–');
  setText(view.awayScore, '–');
  setText(view.period, '');
  setText(view.clock, '');
  delete view.possession.dataset.side;
  setText(view.possession, '');
  delete view.statistics.dataset.seq;
  view.statisticsRows.replaceChildren(emptyStatisticsRow());
}

// --- Controls -----------------------------------------------------------------------------------------------

function replay(speed) {
  for (const stream of streams) stream.stop();
  match = newMatch(sport.clock);
  statistics = newStatistics();
  clearDisplay();
  for (const stream of streams) stream.replay(speed);
}

$('feed').addEventListener('change', (event) => {
  const chosen = event.target.value;
  if (chosen === actions.feed) return;
  for (const stream of streams) {
    stream.feed = chosen;
    // A finished stream has nothing more to send on either feed; a replay under way goes on from where it is.
    if (fixture && !stream.progress().finished) stream.restart();
  }
});
$('replay-normal').addEventListener('click', () => replay('normal'));
$('replay-fast').addEventListener('click', () => replay('fast'));

// --- Start --------------------------------------------------------------------------------------------------

takeTokenFromFragment();
const sports = await loadSports(() => setState('connecting', 'The server cannot be reached; trying again.'));
sport = sports.find((s) => s.sport === sportName) ?? null;
if (!sport || !fixtureId) {
  setState('error', `This server has no sport called “${sportName ?? ''}”.`);
} else {
  match = newMatch(sport.clock);
  setText($('sport'), sport.name);
  setText($('period-word'), capitalised(sport.period));
  setText($('period-column'), capitalised(sport.period));
  setText($('period-caption'), `Score in each ${sport.period}`);
  setInterval(tick, 250);
  if (!currentToken()) setState('connecting', 'Type your token to follow the match.');
  withToken(loadFixture);
}
