// The match centre's logic without the DOM, so that node can test it (Tests/web-js): which packet to apply, the
// lifecycle of actions, the clock between packets, what a stream's close means, and the index's ordering.

// --- Packets and the timeline -------------------------------------------------------------------------------

/** A match page's state before any packet: `lastSeq` is the highest `fixtureSeqNum` applied (numbering starts at 1). */
export function newMatch(clockHint) {
  return {
    lastSeq: 0,
    summary: null,
    finished: false,
    // One item per packet, by fixtureSeqNum; `latest` maps an action id to its newest item.
    items: new Map(),
    latest: new Map(),
    clock: newClock(clockHint),
  };
}

/**
 * Where a packet stands against what is shown: `next` is applied; `old` was applied already (a reconnect can
 * resend it); `gap` means packets are missing before it, and showing it would skip them.
 */
export function sequenceCheck(match, seq) {
  if (!Number.isInteger(seq) || seq <= match.lastSeq) return 'old';
  return seq === match.lastSeq + 1 ? 'next' : 'gap';
}

/**
 * Applies the packet that `sequenceCheck` called `next`. Answers the new timeline item and the item it replaces
 * (the action's previous newest packet), so that the page changes only those.
 */
export function applyPacket(match, packet, receivedAt) {
  const action = packet.fixtureAction;
  const summary = packet.fixtureSummary;
  const seq = action.fixtureSeqNum;
  const item = {
    seq,
    actionId: action.actionId,
    sendType: action.sendType,
    state: lifecycleState(action.sendType),
    period: periodName(summary, action.period),
    clockTime: action.clockTime ?? '',
    team: action.team?.name ?? '',
    type: action.fixtureActionType ?? '',
    subType: action.fixtureActionSubType ?? '',
    replacedBy: null,
  };
  const replaced = match.latest.get(item.actionId) ?? null;
  if (replaced) replaced.replacedBy = seq;
  match.latest.set(item.actionId, item);
  match.items.set(seq, item);
  match.lastSeq = seq;
  match.summary = summary;
  match.finished = packet.finished === true || summary?.finished === true;
  updateClock(match.clock, summary, Date.parse(action.timestamp), receivedAt);
  return { item, replaced };
}

// --- Statistics ---------------------------------------------------------------------------------------------

/** A statistics panel's state before any packet: `lastSeq` is the highest statistics `seqNum` applied. */
export function newStatistics() {
  return { lastSeq: 0, finished: false, rows: [] };
}

/**
 * Applies the statistics packet that `sequenceCheck` called `next`: a full snapshot, so the rows are made anew.
 * One row per action type either side has a total of, by type id, each followed by its sub types by id:
 * `{ name, actionId, subActionId, home, away }` (`subActionId` null on a type's row).
 */
export function applyStatistics(statistics, packet) {
  const teams = Array.isArray(packet.teamActionAggregates) ? packet.teamActionAggregates : [];
  const sides = {
    home: teams.find((team) => team?.team?.homeTeam === true)?.gameActionAggregates ?? [],
    away: teams.find((team) => team?.team?.homeTeam === false)?.gameActionAggregates ?? [],
  };
  const types = new Map(); // actionId → { name, home, away, subs: Map(subActionId → { name, home, away }) }
  for (const side of ['home', 'away']) {
    for (const aggregate of sides[side]) {
      const type = types.get(aggregate.actionId) ?? { name: aggregate.action, home: 0, away: 0, subs: new Map() };
      type[side] = aggregate.actionAggregate ?? 0;
      for (const sub of aggregate.subActionAggregates ?? []) {
        const total = type.subs.get(sub.subActionId) ?? { name: sub.subAction, home: 0, away: 0 };
        total[side] = sub.subActionAggregate ?? 0;
        type.subs.set(sub.subActionId, total);
      }
      types.set(aggregate.actionId, type);
    }
  }
  const byId = (a, b) => a[0] - b[0];
  statistics.rows = [...types].sort(byId).flatMap(([actionId, type]) => [
    { name: type.name, actionId, subActionId: null, home: type.home, away: type.away },
    ...[...type.subs].sort(byId).map(([subActionId, sub]) => ({ name: sub.name, actionId, subActionId, home: sub.home, away: sub.away })),
  ]);
  statistics.lastSeq = packet.seqNum;
  statistics.finished = packet.finished === true;
  return statistics.rows;
}

/** How an action looks after its newest packet: waiting for confirmation, withdrawn, or standing. */
export function lifecycleState(sendType) {
  switch (sendType) {
    case 'Pending': return 'pending';
    case 'Deleted': return 'deleted';
    case 'Cancelled': return 'cancelled';
    default: return 'standing';
  }
}

/** The label of period `id` in a summary; period 0 holds the pre-match and administrative actions. */
export function periodName(summary, id) {
  if (id === 0) return 'Pre-match';
  const period = summary?.periods?.find((p) => p.id === id);
  return period?.label ?? (id == null ? '' : `Period ${id}`);
}

/** The current period's label, or pre-match before the first period starts. */
export function currentPeriodLabel(summary) {
  if (!summary) return '';
  const period = summary.periods?.find((p) => p.id === summary.currentPeriod);
  return period?.label ?? 'Pre-match';
}

/** Periods played, for the period scores table (period 0 is not one). */
export function periodRows(summary) {
  return (summary?.periods ?? [])
    .filter((p) => p.id > 0)
    .map((p) => ({ label: p.label, home: p.homeTeamPeriodScore, away: p.awayTeamPeriodScore }));
}

/**
 * Who serves or has the ball. The wire spells it `isHomeTeamInPossesion`; it says `true` before anyone has had
 * it, so the side is only told once a period has started.
 */
export function possessionSide(summary) {
  if (!summary || !(summary.periods?.length > 0)) return '';
  const home = summary.isHomeTeamInPossesion ?? summary.isHomeTeamInPossession;
  if (typeof home !== 'boolean') return '';
  return home ? 'home' : 'away';
}

// --- The clock ----------------------------------------------------------------------------------------------

// The summary gives the clock's value and whether it runs, not which way it counts: that comes from the sport's
// `clock` word in sports.json when the server gives one ("up", "down", "none"), else it is learnt from two
// running packets of one period. Until then a running clock shows the packet's value without ticking.
function newClock(hint) {
  return {
    hint: ['up', 'down', 'none'].includes(hint) ? hint : null,
    seconds: 0,
    running: false,
    receivedAt: 0,
    direction: hint === 'up' ? 1 : hint === 'down' ? -1 : 0,
    seen: false,
    reference: null,
  };
}

export function parseClock(text) {
  const match = /^(\d+):([0-5]\d)$/.exec(text ?? '');
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function updateClock(clock, summary, timestamp, receivedAt) {
  const seconds = parseClock(summary?.currentClockTime);
  if (seconds == null) return;
  const running = summary.currentClockState === 'running';
  clock.seconds = seconds;
  clock.running = running;
  clock.receivedAt = receivedAt;
  // A sport without a clock says 00:00, stopped, on every packet: it is shown as no clock at all.
  if (running || seconds !== 0) clock.seen = true;
  if (clock.hint) return;
  if (!running) {
    clock.reference = null;
    return;
  }
  // A countdown stops at 00:00, so a clock running at 00:00 counts up.
  if (seconds === 0) clock.direction = 1;
  const ref = clock.reference;
  if (ref && ref.period === summary.currentPeriod && Number.isFinite(timestamp) && timestamp - ref.timestamp >= 1000) {
    if (seconds !== ref.seconds) clock.direction = Math.sign(seconds - ref.seconds);
  }
  if (!ref || ref.period !== summary.currentPeriod || seconds !== ref.seconds) {
    clock.reference = { period: summary.currentPeriod, seconds, timestamp };
  }
}

/**
 * The clock to show at `now` (ms, same clock as `receivedAt`): the last packet's value, moved on by the whole
 * seconds since it arrived while it runs; a countdown stops at 00:00. Empty for a sport without a clock.
 */
export function clockText(clock, now) {
  if (clock.hint === 'none' || (!clock.hint && !clock.seen)) return '';
  if (!clock.running || clock.direction === 0) return formatClock(clock.seconds);
  const elapsed = Math.max(0, Math.floor((now - clock.receivedAt) / 1000));
  return formatClock(clock.seconds + clock.direction * elapsed);
}

// --- The stream's connection ----------------------------------------------------------------------------------

/**
 * What to do when the stream closes (docs/streams.md, "Close codes"), given the last ERROR message the server
 * sent before it and whether the finished packet was applied. Answers `finished`, `reconnect` (with `delay` in
 * ms when the server said how long to wait), `auth` (the token is refused: ask for another) or `error` (a
 * failure a retry would repeat).
 */
export function closeDecision(code, errorMessage, finished) {
  if (finished) return { action: 'finished' };
  const message = errorMessage ?? '';
  if (code === 1008) {
    const wait = /retry in (\d+) s/i.exec(message);
    if (wait) return { action: 'reconnect', delay: Number(wait[1]) * 1000 };
    if (/no authentication message was received/i.test(message)) return { action: 'reconnect' };
    if (/authentication is invalid|revoked/i.test(message)) return { action: 'auth' };
    return { action: 'error' };
  }
  // The page broke the websocket protocol or its limits: the browser would do the same again.
  if (code === 1002 || code === 1007 || code === 1009) return { action: 'error' };
  // 1000 without the finished packet, 1001 shutdown, 1006 dropped or refused, 1011 store fault, 1013 too slow.
  return { action: 'reconnect' };
}

/** The wait before reconnect attempt `attempt` (0 first): 0.5 s doubling to 10 s, ±20 % so clients spread out. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(10000, 500 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}

// --- The fixtures index ---------------------------------------------------------------------------------------

/** The packet with the highest fixtureSeqNum of an actions list (a finished list is in timeline order). */
export function latestPacket(list) {
  let latest = null;
  for (const packet of Array.isArray(list) ? list : []) {
    const seq = packet?.fixtureAction?.fixtureSeqNum;
    if (Number.isInteger(seq) && (!latest || seq > latest.fixtureAction.fixtureSeqNum)) latest = packet;
  }
  return latest;
}

/** An actions list's ETag says whether it can still change (`"12-live"`) or not (`"12-final"`). */
export function isFinalTag(etag) {
  return /-final"$/.test(etag ?? '');
}

/** Home and away team names of a fixture object (home first on the wire, flagged too). */
export function teamNames(fixture) {
  const teams = fixture?.teams ?? [];
  const home = teams.find((t) => t.homeTeam === true) ?? teams[0];
  const away = teams.find((t) => t.homeTeam === false) ?? teams[1];
  return { home: home?.name ?? 'Home', away: away?.name ?? 'Away' };
}

/** Fixtures by start time, soonest first (or latest first with `descending`), then by name and id. */
export function sortFixtures(fixtures, descending = false) {
  const sign = descending ? -1 : 1;
  return [...fixtures].sort(
    (a, b) =>
      sign * String(a.startDateUTC).localeCompare(String(b.startDateUTC)) ||
      String(a.name).localeCompare(String(b.name)) ||
      String(a.id).localeCompare(String(b.id)),
  );
}
