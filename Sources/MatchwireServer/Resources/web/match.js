// One fixture's live page: the fixture from REST, then its action stream (docs/streams.md), resumed from the last
// packet shown after every disconnect, so that each fixtureSeqNum is shown exactly once.

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
  backoffDelay,
  clockText,
  closeDecision,
  currentPeriodLabel,
  newMatch,
  periodRows,
  possessionSide,
  sequenceCheck,
  teamNames,
} from './model.js';

// A connection that stayed accepted this long was a success: the next disconnect starts the backoff again.
const STEADY_MS = 5000;
// Heartbeats come every 10 s by default: a stream silent for three of them (or of the gap seen) is taken as dead.
const SILENCE_MS = 30000;
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
const items = new Map(); // fixtureSeqNum → its <li>
let shownPeriods = ''; // the period rows on screen, to rebuild them only when they change

// The stream: a new `generation` disowns the socket before it, so that its late events change nothing.
const stream = {
  socket: null,
  generation: 0,
  attempt: 0,
  timer: null,
  watchdog: null,
  silenceMs: SILENCE_MS,
  everAccepted: false,
  replaying: false,
  feed: document.querySelector('[data-mw="feed"] input:checked')?.value ?? 'betting',
  // A fixture that is not live is replayed: fast shows where it ended at once; the replay control picks normal.
  speed: 'fast',
};

function setState(state, text) {
  view.connection.dataset.state = state;
  setText(view.connection, text);
}

function fail(sentence) {
  stopStream();
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
  $('period-home').textContent = names.home;
  $('period-away').textContent = names.away;
  setText(view.status, fixture.status);
  document.title = `${names.home} v ${names.away} · Matchwire`;
  showReplayControl();
  connect();
}

function askForToken(then) {
  setState('error', 'The token was refused: type a valid one.');
  withToken(then, 'The server refused this token: type a valid one.');
}

// --- The stream ---------------------------------------------------------------------------------------------

function streamUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const feed = stream.feed === 'media' ? '/media' : '';
  // startPosition counts the packets to skip: the stream starts at fixtureSeqNum lastSeq + 1.
  const query = `startPosition=${match.lastSeq}&speed=${stream.speed}`;
  return `${scheme}//${location.host}${feed}${apiPath(sport.path, 'fixtures', fixtureId, 'actions')}?${query}`;
}

function connect() {
  clearTimeout(stream.timer);
  const token = currentToken();
  if (!token) return askForToken(connect);
  const generation = ++stream.generation;
  const mine = () => generation === stream.generation;
  setState(stream.everAccepted ? 'reconnecting' : 'connecting', stream.everAccepted ? 'Reconnecting…' : 'Connecting…');
  const socket = new WebSocket(streamUrl());
  stream.socket = socket;
  let acceptedAt = 0;
  let errorMessage = null;
  let lastMessageAt = performance.now();
  watch(socket, mine);

  socket.addEventListener('open', () => socket.send(JSON.stringify({ authToken: token })));
  socket.addEventListener('message', (event) => {
    if (!mine()) return;
    const now = performance.now();
    stream.silenceMs = Math.max(stream.silenceMs, 3 * (now - lastMessageAt));
    lastMessageAt = now;
    watch(socket, mine);
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return; // Not JSON: nothing this page knows.
    }
    if (message?.fixtureAction) {
      onPacket(message, socket);
    } else if (message?.level === 'ERROR') {
      errorMessage = message.message ?? null;
    } else if (!acceptedAt && message?.message === 'Authorisation accepted') {
      acceptedAt = now;
      stream.everAccepted = true;
      setState('live', liveText());
    }
  });
  socket.addEventListener('close', (event) => {
    if (!mine()) return;
    stream.socket = null;
    clearTimeout(stream.watchdog);
    if (acceptedAt && performance.now() - acceptedAt >= STEADY_MS) stream.attempt = 0;
    onClose(closeDecision(event.code, errorMessage, match.finished), event.code, errorMessage);
  });
}

/** Restarts the silence timer: a stream that says nothing for too long is closed and reconnected. */
function watch(socket, mine) {
  clearTimeout(stream.watchdog);
  stream.watchdog = setTimeout(() => {
    if (!mine()) return;
    abandon(socket);
    if (match.finished) setState('finished', finishedText());
    else reconnectLater();
  }, stream.silenceMs);
}

/** Disowns the current socket and closes it; its close event is then ignored. */
function abandon(socket) {
  stream.generation++;
  stream.socket = null;
  clearTimeout(stream.watchdog);
  try {
    socket?.close(1000);
  } catch {
    // Already closing.
  }
}

function stopStream() {
  clearTimeout(stream.timer);
  abandon(stream.socket);
}

function onPacket(packet, socket) {
  const seq = packet.fixtureAction.fixtureSeqNum;
  switch (sequenceCheck(match, seq)) {
    case 'old':
      return;
    case 'gap':
      // Showing it would skip packets: start again from the first one missing.
      abandon(socket);
      reconnectLater();
      return;
    case 'next':
      showPacket(applyPacket(match, packet, performance.now()));
      if (match.finished) setState('finished', finishedText());
  }
}

function onClose(decision, code, errorMessage) {
  switch (decision.action) {
    case 'finished':
      setState('finished', finishedText());
      showReplayControl();
      return;
    case 'reconnect':
      reconnectLater(decision.delay);
      return;
    case 'auth':
      askForToken(() => {
        stream.attempt = 0;
        connect();
      });
      return;
    default:
      setState('error', errorMessage ?? `The stream was closed with code ${code}; reload the page to try again.`);
  }
}

function reconnectLater(delay) {
  clearTimeout(stream.timer);
  const wait = delay ?? backoffDelay(stream.attempt++);
  const state = stream.everAccepted ? 'reconnecting' : 'connecting';
  setState(state, `Disconnected; reconnecting in ${Math.max(1, Math.round(wait / 1000))} s…`);
  stream.timer = setTimeout(connect, wait);
}

/** Drops the current connection and connects again at once, from the next packet to show. */
function restart() {
  stopStream();
  stream.attempt = 0;
  connect();
}

function liveText() {
  const feed = stream.feed === 'media' ? 'media feed (delayed)' : 'betting feed';
  return stream.replaying ? `Replaying (${stream.speed}): ${feed}` : `Connected: ${feed}`;
}

function finishedText() {
  return `Finished: all ${match.lastSeq} packets received.`;
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

function periodRow(row) {
  const tr = document.createElement('tr');
  tr.dataset.mw = 'period-score';
  const label = document.createElement('th');
  label.scope = 'row';
  label.textContent = row.label;
  tr.append(label, part('td', 'home', String(row.home)), part('td', 'away', String(row.away)));
  return tr;
}

function tick() {
  setText(view.clock, clockText(match.clock, performance.now()));
}

function showReplayControl() {
  const status = match.summary?.currentStatus ?? fixture?.status;
  view.replay.hidden = !(match.finished || REPLAYED.has(status));
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
}

// --- Controls -----------------------------------------------------------------------------------------------

function replay(speed) {
  stopStream();
  stream.speed = speed;
  stream.replaying = true;
  stream.everAccepted = false;
  match = newMatch(sport.clock);
  clearDisplay();
  restart();
}

$('feed').addEventListener('change', (event) => {
  const feed = event.target.value;
  if (feed === stream.feed) return;
  stream.feed = feed;
  // A finished fixture has nothing more to send on either feed; a replay under way goes on from where it is.
  if (fixture && !match.finished) restart();
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
