// The match centre's page logic (Sources/MatchwireServer/Resources/web/model.js), run with `node --test Tests/web-js/`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyPacket,
  applyStatistics,
  backoffDelay,
  clockText,
  closeDecision,
  currentPeriodLabel,
  isFinalTag,
  latestPacket,
  lifecycleState,
  newMatch,
  newStatistics,
  periodRows,
  possessionSide,
  sequenceCheck,
  sortFixtures,
  teamNames,
} from '../../Sources/MatchwireServer/Resources/web/model.js';

const HOME = { id: 'h', name: 'Northbridge', homeTeam: true };
const AWAY = { id: 'a', name: 'Eastport', homeTeam: false };
const firstHalf = { id: 1, type: 'Regular', label: '1st half', homeTeamPeriodScore: 1, awayTeamPeriodScore: 0 };

function packet(seq, { actionId = `action-${seq}`, sendType = 'Confirmed', type = 'Attack', team = HOME, at = seq, summary = {} } = {}) {
  const fixtureSummary = {
    homeTeamScore: 0,
    awayTeamScore: 0,
    periods: [firstHalf],
    currentPeriod: 1,
    currentStatus: 'Live',
    currentClockTime: '00:00',
    currentClockState: 'stopped',
    isHomeTeamInPossesion: true,
    finished: false,
    ...summary,
  };
  return {
    finished: fixtureSummary.finished,
    fixtureAction: {
      actionId,
      fixtureSeqNum: seq,
      sendType,
      period: 1,
      clockTime: '12:00',
      timestamp: new Date(Date.UTC(2025, 4, 20, 8, 30, at)).toISOString(),
      fixtureActionType: type,
      team,
    },
    fixtureSummary,
  };
}

// What the page does with a connection's packets: drops old ones, and stops at a gap (to reconnect).
function feed(match, packets) {
  for (const p of packets) {
    const check = sequenceCheck(match, p.fixtureAction.fixtureSeqNum);
    if (check === 'gap') return;
    if (check === 'next') applyPacket(match, p, 0);
  }
}

test('packets are applied in order from 1, an old one is dropped and a gap is refused', () => {
  const match = newMatch();
  assert.equal(sequenceCheck(match, 2), 'gap');
  assert.equal(sequenceCheck(match, 1), 'next');
  applyPacket(match, packet(1), 0);
  assert.equal(match.lastSeq, 1);
  assert.equal(sequenceCheck(match, 1), 'old');
  assert.equal(sequenceCheck(match, 0), 'old');
  assert.equal(sequenceCheck(match, 3), 'gap');
  assert.equal(sequenceCheck(match, 2), 'next');
  assert.equal(sequenceCheck(match, undefined), 'old');
});

test('a resent backlog shows every fixtureSeqNum exactly once', () => {
  const match = newMatch();
  // The first connection delivers 1-3 then drops; the reconnect from startPosition 3 resends 3 (say) and goes on.
  feed(match, [1, 2, 3].map((n) => packet(n)));
  feed(match, [3, 4, 6, 5].map((n) => packet(n)));
  assert.deepEqual([...match.items.keys()], [1, 2, 3, 4]);
  assert.equal(match.lastSeq, 4);
});

test('an action\'s newest packet counts and replaces the item before it', () => {
  const match = newMatch();
  const first = applyPacket(match, packet(1, { actionId: 'shot', sendType: 'Pending', type: '2PT Shot' }), 0);
  assert.equal(first.item.state, 'pending');
  assert.equal(first.replaced, null);
  applyPacket(match, packet(2, { actionId: 'other' }), 0);
  const confirmed = applyPacket(match, packet(3, { actionId: 'shot', sendType: 'Confirmed', type: '2PT Shot' }), 0);
  assert.equal(confirmed.replaced.seq, 1);
  assert.equal(match.items.get(1).replacedBy, 3);
  assert.equal(confirmed.item.state, 'standing');
  const updated = applyPacket(match, packet(4, { actionId: 'shot', sendType: 'Updated', type: '3PT Shot' }), 0);
  assert.equal(updated.replaced.seq, 3);
  assert.equal(match.items.get(1).replacedBy, 3, 'an item is replaced by its direct successor');
  const deleted = applyPacket(match, packet(5, { actionId: 'shot', sendType: 'Deleted', type: '3PT Shot' }), 0);
  assert.equal(deleted.item.state, 'deleted');
  assert.equal(match.items.get(4).replacedBy, 5);
  assert.equal(match.items.get(2).replacedBy, null);
  assert.equal(match.latest.get('shot').seq, 5);
});

test('send types map to what the timeline shows', () => {
  assert.equal(lifecycleState('Pending'), 'pending');
  assert.equal(lifecycleState('Deleted'), 'deleted');
  assert.equal(lifecycleState('Cancelled'), 'cancelled');
  for (const type of ['Confirmed', 'Updated', 'Restored']) assert.equal(lifecycleState(type), 'standing');
});

test('the finished packet finishes the match', () => {
  const match = newMatch();
  applyPacket(match, packet(1), 0);
  assert.equal(match.finished, false);
  applyPacket(match, packet(2, { summary: { finished: true, currentStatus: 'Completed' } }), 0);
  assert.equal(match.finished, true);
});

test('items name their period, or pre-match for period 0', () => {
  const match = newMatch();
  const p = packet(1);
  p.fixtureAction.period = 0;
  assert.equal(applyPacket(match, p, 0).item.period, 'Pre-match');
  assert.equal(applyPacket(match, packet(2), 0).item.period, '1st half');
});

test('summary fields: period label, period rows, possession', () => {
  const summary = packet(1, { summary: { isHomeTeamInPossesion: false } }).fixtureSummary;
  assert.equal(currentPeriodLabel(summary), '1st half');
  assert.deepEqual(periodRows(summary), [{ label: '1st half', home: 1, away: 0 }]);
  assert.equal(possessionSide(summary), 'away');
  const before = { ...summary, periods: [], isHomeTeamInPossesion: true };
  assert.equal(currentPeriodLabel(before), 'Pre-match');
  assert.equal(possessionSide(before), '', 'nobody has had the ball before the first period');
  assert.deepEqual(periodRows({ periods: [{ id: 0, label: 'x' }] }), []);
});

test('a clock that never moves is no clock', () => {
  const match = newMatch();
  feed(match, [1, 2, 3].map((n) => packet(n)));
  assert.equal(clockText(match.clock, 60000), '');
  const hinted = newMatch('up');
  feed(hinted, [packet(1)]);
  assert.equal(clockText(hinted.clock, 60000), '00:00');
  const none = newMatch('none');
  feed(none, [packet(1, { summary: { currentClockTime: '05:00', currentClockState: 'running' } })]);
  assert.equal(clockText(none.clock, 60000), '');
});

test('a running clock counts up from 00:00 by the seconds since the packet arrived', () => {
  const match = newMatch();
  applyPacket(match, packet(1, { summary: { currentClockTime: '00:00', currentClockState: 'running' } }), 1000);
  assert.equal(clockText(match.clock, 1000), '00:00');
  assert.equal(clockText(match.clock, 1999), '00:00');
  assert.equal(clockText(match.clock, 6500), '00:05');
  applyPacket(match, packet(2, { summary: { currentClockTime: '00:07', currentClockState: 'running' } }), 7000);
  assert.equal(clockText(match.clock, 8000), '00:08', 'each packet corrects the clock');
  applyPacket(match, packet(3, { summary: { currentClockTime: '00:09', currentClockState: 'stopped' } }), 9000);
  assert.equal(clockText(match.clock, 60000), '00:09', 'a stopped clock shows the summary');
});

test('the direction is learnt from two running packets, and a countdown stops at 00:00', () => {
  const match = newMatch();
  const running = (seq, clock, at) => packet(seq, { at, summary: { currentClockTime: clock, currentClockState: 'running' } });
  applyPacket(match, running(1, '10:00', 0), 0);
  assert.equal(clockText(match.clock, 5000), '10:00', 'no tick before the direction is known');
  applyPacket(match, running(2, '09:57', 3), 3000);
  assert.equal(clockText(match.clock, 5000), '09:55');
  assert.equal(clockText(match.clock, 3000 + 600 * 1000), '00:00');
  const soccer = newMatch();
  applyPacket(soccer, running(1, '45:00', 0), 0);
  applyPacket(soccer, running(2, '45:04', 4), 4000);
  assert.equal(clockText(soccer.clock, 10000), '45:10');
  assert.equal(clockText(soccer.clock, 4000 + 3600 * 1000), '105:04', 'minutes go past 59');
  const basketball = newMatch('down');
  applyPacket(basketball, running(1, '10:00', 0), 0);
  assert.equal(clockText(basketball.clock, 2000), '09:58', 'the sport\'s word needs no second packet');
});

test('close codes: finished, reconnect, token refused, error', () => {
  assert.equal(closeDecision(1000, null, true).action, 'finished');
  assert.equal(closeDecision(1006, null, true).action, 'finished');
  assert.equal(closeDecision(1000, null, false).action, 'reconnect');
  for (const code of [1001, 1005, 1006, 1011, 1013, 4000]) assert.equal(closeDecision(code, null, false).action, 'reconnect');
  assert.equal(closeDecision(1008, 'The supplied authentication is invalid', false).action, 'auth');
  assert.equal(closeDecision(1008, 'The token of this stream was revoked.', false).action, 'auth');
  assert.deepEqual(closeDecision(1008, 'Rate limit of 5.0 requests per second exceeded; retry in 2 s.', false), {
    action: 'reconnect',
    delay: 2000,
  });
  assert.equal(closeDecision(1008, 'No authentication message was received within 10 seconds.', false).action, 'reconnect');
  assert.equal(closeDecision(1008, "The token 'x' is not entitled to the media feed of soccer.", false).action, 'error');
  assert.equal(closeDecision(1008, 'Authentication message had incorrect format', false).action, 'error');
  for (const code of [1002, 1007, 1009]) assert.equal(closeDecision(code, null, false).action, 'error');
});

test('backoff doubles from 0.5 s to 10 s with a little jitter', () => {
  const middle = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, middle)), [500, 1000, 2000, 4000, 8000, 10000, 10000]);
  assert.equal(backoffDelay(0, () => 0), 400);
  assert.equal(backoffDelay(10, () => 0.999999), 12000);
});

test('the index reads the newest packet of a list in either order, and final tags', () => {
  const list = [packet(3), packet(1), packet(2)];
  list[0].fixtureSummary.homeTeamScore = 4;
  assert.equal(latestPacket(list).fixtureSummary.homeTeamScore, 4);
  assert.equal(latestPacket([]), null);
  assert.equal(latestPacket(null), null);
  assert.equal(isFinalTag('"12-final"'), true);
  assert.equal(isFinalTag('W/"12-final"'), true);
  assert.equal(isFinalTag('"12-live"'), false);
  assert.equal(isFinalTag(null), false);
});

test('fixtures sort by start time, and teams are read home first', () => {
  const fixtures = [
    { id: 'b', name: 'B', startDateUTC: '2025-05-20T10:00:00' },
    { id: 'a', name: 'A', startDateUTC: '2025-05-20T09:00:00' },
    { id: 'c', name: 'A', startDateUTC: '2025-05-20T10:00:00' },
  ];
  assert.deepEqual(sortFixtures(fixtures).map((f) => f.id), ['a', 'c', 'b']);
  assert.deepEqual(sortFixtures(fixtures, true).map((f) => f.id), ['c', 'b', 'a']);
  assert.deepEqual(teamNames({ teams: [AWAY, HOME] }), { home: 'Northbridge', away: 'Eastport' });
});

function statisticsPacket(seqNum, home, away, finished = false) {
  return {
    seqNum,
    finished,
    fixtureSeqNum: seqNum + 3,
    teamActionAggregates: [
      { team: HOME, gameActionAggregates: home },
      { team: AWAY, gameActionAggregates: away },
    ],
  };
}

const goal = (total, subs = []) => ({
  action: 'Goal',
  actionId: 104,
  actionAggregate: total,
  subActionAggregates: subs.map(([subAction, subActionId, subActionAggregate]) => ({ subAction, subActionId, subActionAggregate })),
});
const yellow = (total) => ({ action: 'Yellow Card', actionId: 107, actionAggregate: total, subActionAggregates: [] });

test('statistics packets are applied in order by their own seqNum, each a whole snapshot', () => {
  const statistics = newStatistics();
  assert.equal(sequenceCheck(statistics, 2), 'gap');
  assert.equal(sequenceCheck(statistics, 1), 'next');
  applyStatistics(statistics, statisticsPacket(1, [yellow(1)], [goal(1, [['Header', 10402, 1]])]));
  assert.deepEqual(statistics.rows, [
    { name: 'Goal', actionId: 104, subActionId: null, home: 0, away: 1 },
    { name: 'Header', actionId: 104, subActionId: 10402, home: 0, away: 1 },
    { name: 'Yellow Card', actionId: 107, subActionId: null, home: 1, away: 0 },
  ]);
  assert.equal(sequenceCheck(statistics, 1), 'old');
  // A goal disallowed: the next snapshot has none, and the rows follow it rather than add to the last.
  applyStatistics(statistics, statisticsPacket(2, [yellow(1)], [], true));
  assert.deepEqual(statistics.rows, [{ name: 'Yellow Card', actionId: 107, subActionId: null, home: 1, away: 0 }]);
  assert.equal(statistics.lastSeq, 2);
  assert.equal(statistics.finished, true);
});

test('sub types of one type are merged across the teams and ordered by id', () => {
  const statistics = newStatistics();
  applyStatistics(
    statistics,
    statisticsPacket(1, [goal(2, [['Penalty', 10403, 1], ['Shot', 10401, 1]])], [goal(1, [['Shot', 10401, 1]])]),
  );
  assert.deepEqual(
    statistics.rows.map((row) => [row.name, row.home, row.away]),
    [['Goal', 2, 1], ['Shot', 1, 1], ['Penalty', 1, 0]],
  );
});
